"""Which order a bank mutation pays, or why a person must look at it.

Pure: the caller reads the relevant orders from the database and passes them
in; the decision is made here, the same way every time.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from mootaflow.domain.moota import Mutation
from mootaflow.domain.orders import find_ref_keys
from mootaflow.domain.payments import PaymentStatus

# Bank clocks and ours disagree a little; an order created moments after the
# bank's timestamp of the transfer can still be what the customer paid.
CLOCK_SKEW = timedelta(minutes=5)


class FlagReason(StrEnum):
    NO_MATCH = "no_match"
    AMBIGUOUS = "ambiguous"
    UNDERPAID = "underpaid"
    OVERPAID = "overpaid"
    ALREADY_PAID = "already_paid"
    EXPIRED_ORDER = "expired_order"
    HIGH_VALUE = "high_value"
    # The reference names an order of another account (or Moota bank) than the
    # one the money arrived in: real money, but not where that order expects it.
    WRONG_ACCOUNT = "wrong_account"


class IgnoreReason(StrEnum):
    """Why a mutation is not a customer's payment at all."""

    DEBIT = "debit"
    # A configured test account or bank (Moota's sandbox, the dashboard's test).
    TEST = "test"


@dataclass(frozen=True)
class OrderFacts:
    """What matching needs to know about an order."""

    ref: str
    ref_key: str
    account_number: str
    bank_id: str | None
    amount: Decimal
    created_at: datetime
    expires_at: datetime
    paid_by: str | None  # mutation id that paid it
    # Partially paid: what it still owes (a transfer of exactly that completes it).
    due: Decimal | None = None

    @property
    def payable(self) -> Decimal:
        """The amount a transfer must be to pay it (in full, or the rest)."""
        return self.amount if self.due is None else self.due


@dataclass(frozen=True)
class MatchRules:
    ref_pattern: str
    high_value_threshold: Decimal
    # Account numbers and Moota bank ids whose mutations are tests, never money.
    test_accounts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MatchOutcome:
    kind: Literal["matched", "flagged", "ignored"]
    order_ref: str | None = None
    reason: FlagReason | None = None
    candidates: list[str] = field(default_factory=list)
    ignored_reason: IgnoreReason | None = None

    @property
    def status(self) -> PaymentStatus:
        return _STATUS_OF[self.kind]


_STATUS_OF = {
    "matched": PaymentStatus.MATCHED,
    "flagged": PaymentStatus.AWAITING_APPROVAL,
    "ignored": PaymentStatus.IGNORED,
}


def matched(order: OrderFacts) -> MatchOutcome:
    return MatchOutcome("matched", order_ref=order.ref, candidates=[order.ref])


def flagged(reason: FlagReason, orders: Sequence[OrderFacts] = ()) -> MatchOutcome:
    refs = [order.ref for order in orders]
    # One candidate is the order in question (underpaid, expired, ...): an approval
    # without a chosen order books that one.
    order_ref = refs[0] if len(refs) == 1 else None
    return MatchOutcome("flagged", order_ref=order_ref, reason=reason, candidates=refs)


def latest_transfer_time(mutation: Mutation) -> datetime:
    """The latest moment the money can have moved, per the bank and Moota.

    A date-only date means "some time that day": no later than the end of that
    day (Jakarta), nor than when Moota saw the mutation.
    """
    if not mutation.date_only:
        return mutation.date
    end_of_day = mutation.date + timedelta(days=1)
    seen = mutation.seen_at
    if seen is not None and mutation.date <= seen < end_of_day:
        return seen
    return end_of_day


def referenced_keys(mutation: Mutation, rules: MatchRules) -> list[str]:
    """Order reference keys mentioned in the transfer's description or note."""
    return find_ref_keys(f"{mutation.description}\n{mutation.note}", rules.ref_pattern)


def match_mutation(
    mutation: Mutation,
    referenced: Sequence[OrderFacts],
    same_amount: Sequence[OrderFacts],
    rules: MatchRules,
) -> MatchOutcome:
    """Decide for one mutation.

    referenced: orders whose reference appears in the description or note.
    same_amount: orders on the receiving account with exactly the mutation's amount.
    """
    if rules.test_accounts & {mutation.account_number, mutation.bank_id}:
        return MatchOutcome("ignored", ignored_reason=IgnoreReason.TEST)
    if mutation.type == "DB":
        return MatchOutcome("ignored", ignored_reason=IgnoreReason.DEBIT)
    outcome = _by_reference(mutation, referenced) or _by_amount(mutation, same_amount)
    if outcome.kind == "matched" and mutation.amount >= rules.high_value_threshold:
        return MatchOutcome(
            "flagged",
            order_ref=outcome.order_ref,
            reason=FlagReason.HIGH_VALUE,
            candidates=outcome.candidates,
        )
    return outcome


def _by_reference(mutation: Mutation, referenced: Sequence[OrderFacts]) -> MatchOutcome | None:
    if not referenced:
        return None  # No usable reference: fall back to the amount.
    if len(referenced) > 1:
        return flagged(FlagReason.AMBIGUOUS, referenced)
    [order] = referenced
    if order.paid_by == mutation.mutation_id:
        return matched(order)  # Already booked by this very mutation (a retry).
    if not _same_destination(order, mutation):
        return flagged(FlagReason.WRONG_ACCOUNT, [order])
    if order.paid_by is not None:
        return flagged(FlagReason.ALREADY_PAID, [order])
    if order.expires_at < latest_transfer_time(mutation):
        return flagged(FlagReason.EXPIRED_ORDER, [order])
    if mutation.amount < order.payable:
        return flagged(FlagReason.UNDERPAID, [order])
    if mutation.amount > order.payable:
        return flagged(FlagReason.OVERPAID, [order])
    return matched(order)


def _by_amount(mutation: Mutation, same_amount: Sequence[OrderFacts]) -> MatchOutcome:
    latest = latest_transfer_time(mutation)
    # Never across accounts, and only orders the customer could have seen when paying.
    orders = [
        o
        for o in same_amount
        if _same_destination(o, mutation)
        and o.payable == mutation.amount
        and o.created_at <= latest + CLOCK_SKEW
    ]
    mine = [o for o in orders if o.paid_by == mutation.mutation_id]
    if mine:
        return matched(mine[0])
    payable = [o for o in orders if o.paid_by is None and o.expires_at >= latest]
    if len(payable) == 1:
        return matched(payable[0])
    if payable:
        return flagged(FlagReason.AMBIGUOUS, payable)
    expired = [o for o in orders if o.paid_by is None]
    if expired:
        return flagged(FlagReason.EXPIRED_ORDER, expired)
    paid = [o for o in orders if o.paid_by is not None]
    if paid:
        return flagged(FlagReason.ALREADY_PAID, paid)
    return flagged(FlagReason.NO_MATCH)


def _same_destination(order: OrderFacts, mutation: Mutation) -> bool:
    """The money arrived where the order asked for it: its account, and its Moota
    bank where both name one."""
    return order.account_number == mutation.account_number and (
        order.bank_id is None or mutation.bank_id is None or order.bank_id == mutation.bank_id
    )
