"""Where a transfer's money goes: to one or more orders, and what happens to the
difference (a shortfall written off or left due, a surplus kept or refunded).

Pure: the caller reads the transfer and the orders' amounts still due (under row
locks) and stores the plan this module makes. Every refusal names the numbers,
so the person who decided can see what does not add up.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from mootaflow.domain.money import format_rupiah


class Difference(StrEnum):
    """Finance's choice about a transfer that does not pay its order(s) exactly."""

    ACCEPT = "accept"  # short: the order is paid, the shortfall written off; over: kept
    PARTIAL = "partial"  # short: the order stays open for the rest (partially_paid)
    REFUND = "refund"  # over: the surplus is a refund due to the customer


class AllocationKind(StrEnum):
    """Rows of the `allocation` table. ORDER, SURPLUS and REFUND are money of the
    transfer; WRITE_OFF is what an order was let off (no money moved)."""

    ORDER = "order"
    SURPLUS = "surplus"  # an overpayment kept (accepted)
    REFUND = "refund"  # an overpayment to be paid back (see the refund table)
    WRITE_OFF = "write_off"  # a shortfall accepted: the order counts as paid


class RefundStatus(StrEnum):
    DUE = "due"
    PAID = "paid"


class DoesNotAddUp(ValueError):
    """A decision whose amounts cannot be applied; the message names the numbers."""


@dataclass(frozen=True)
class Line:
    """One order a decision allocates money to; amount None means "what it still owes"."""

    order_ref: str
    amount: Decimal | None = None


@dataclass(frozen=True)
class Plan:
    """What to store: money per order, and what becomes of the difference."""

    to_orders: dict[str, Decimal]
    completed: list[str]  # orders paid in full by this plan (or let off the rest)
    partial: dict[str, Decimal] = field(default_factory=dict)  # order -> still due after
    write_offs: dict[str, Decimal] = field(default_factory=dict)
    surplus: Decimal = Decimal(0)  # accepted overpayment
    refund: Decimal = Decimal(0)  # overpayment to pay back


@dataclass(frozen=True)
class Allocated:
    """The outcome of allocating a transfer: what it did, or why not."""

    done: bool
    completed: list[str] = field(default_factory=list)  # orders now fully paid
    partial: dict[str, Decimal] = field(default_factory=dict)  # order -> still due
    refund: Decimal = Decimal(0)
    surplus: Decimal = Decimal(0)
    refusal: str | None = None  # unknown_order, order_already_paid, does_not_add_up
    detail: str = ""
    paid_by: str | None = None  # order_already_paid: who paid it

    def describe(self) -> str:
        """One line for people: what the allocation did."""
        parts = [f"paid {', '.join(self.completed)}"] if self.completed else []
        parts += [f"{ref} still owes {format_rupiah(due)}" for ref, due in self.partial.items()]
        if self.refund:
            parts.append(f"refund due {format_rupiah(self.refund)}")
        if self.surplus:
            parts.append(f"surplus kept {format_rupiah(self.surplus)}")
        return "; ".join(parts)


def check_lines(transfer: Decimal, lines: Sequence[Line]) -> None:
    """What can be checked knowing only the transfer (the Update's validator)."""
    refs = [line.order_ref for line in lines]
    if len(set(refs)) != len(refs):
        raise DoesNotAddUp("an order appears twice in the allocations")
    total = sum((line.amount for line in lines if line.amount is not None), Decimal(0))
    if total > transfer:
        raise DoesNotAddUp(
            f"the allocations add up to {format_rupiah(total)}, more than the transfer "
            f"of {format_rupiah(transfer)} (by {format_rupiah(total - transfer)})"
        )


def plan(
    transfer: Decimal,
    due: Mapping[str, Decimal],
    lines: Sequence[Line],
    difference: Difference | None,
) -> Plan:
    """The allocation of `transfer` to `lines`, given what each order still owes.

    One order without an amount takes what it owes, or the whole transfer if that
    is less. Several orders: each takes its amount (default: what it owes); an
    amount below what an order owes leaves it partially paid (or, with `accept`
    for a single order, writes the rest off). The transfer's rest is a surplus
    that `accept` keeps or `refund` pays back.
    """
    check_lines(transfer, lines)
    if not lines:
        raise DoesNotAddUp("an approval needs at least one order")
    to_orders: dict[str, Decimal] = {}
    for line in lines:
        owed = due[line.order_ref]
        if owed <= 0:
            raise DoesNotAddUp(f"order {line.order_ref} owes nothing any more")
        if line.amount is None:
            amount = min(owed, transfer) if len(lines) == 1 else owed
        else:
            amount = line.amount
        if amount <= 0:
            raise DoesNotAddUp(f"the amount for order {line.order_ref} must be positive")
        if amount > owed:
            raise DoesNotAddUp(
                f"{format_rupiah(amount)} for order {line.order_ref} is more than the "
                f"{format_rupiah(owed)} it still owes (by {format_rupiah(amount - owed)})"
            )
        to_orders[line.order_ref] = amount
    total = sum(to_orders.values(), Decimal(0))
    if total > transfer:
        raise DoesNotAddUp(
            f"the orders take {format_rupiah(total)}, more than the transfer of "
            f"{format_rupiah(transfer)} (by {format_rupiah(total - transfer)}): "
            "give each order its amount"
        )
    short = {ref: due[ref] - amount for ref, amount in to_orders.items() if amount < due[ref]}
    rest = transfer - total
    completed = [ref for ref in to_orders if ref not in short]
    write_offs: dict[str, Decimal] = {}
    if short and len(lines) == 1 and lines[0].amount is None:
        # One order, short: finance says whether the rest is let off or still owed.
        [(ref, gap)] = short.items()
        if difference not in (Difference.ACCEPT, Difference.PARTIAL):
            raise DoesNotAddUp(
                f"the transfer of {format_rupiah(transfer)} is {format_rupiah(gap)} short "
                f"of the {format_rupiah(due[ref])} order {ref} owes: "
                "choose difference accept or partial"
            )
        if difference == Difference.ACCEPT:
            write_offs, short, completed = short, {}, [ref]
    # Amounts named per order: an order given less than it owes stays partially paid.
    surplus = refund = Decimal(0)
    if rest > 0:
        if difference not in (Difference.ACCEPT, Difference.REFUND):
            raise DoesNotAddUp(
                f"the transfer of {format_rupiah(transfer)} is {format_rupiah(rest)} more "
                f"than the {format_rupiah(total)} allocated to orders: "
                "choose difference accept or refund"
            )
        if difference == Difference.ACCEPT:
            surplus = rest
        else:
            refund = rest
    return Plan(to_orders, completed, short, write_offs, surplus, refund)
