"""The ledger's SQL: allocating a transfer to orders, refunds due, and reading both.

Race-safe: the payment's row and every order's row are locked (PostgreSQL: FOR
UPDATE, in reference order so two allocations never wait on each other in a
circle; SQLite: the transaction's write lock, taken at BEGIN IMMEDIATE). Sums are
read again under those locks, so of two decisions racing for the same money one
wins and the other is refused with the numbers it no longer fits. The unique key
(mutation, order, kind) is the last line of defence.
"""

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from mootaflow.domain.allocations import (
    Allocated,
    AllocationKind,
    Difference,
    DoesNotAddUp,
    Line,
    Plan,
    RefundStatus,
    plan,
)
from mootaflow.domain.paging import Key, Page, page_of
from mootaflow.domain.payments import OrderStatus, PaymentStatus
from mootaflow.store.orders import get_order
from mootaflow.store.tables import Allocation, Order, Payment, Refund

# Who an allocation made by the matching rules (no person) is recorded as.
MATCHING = "matching"


def allocate(
    session: Session,
    mutation_id: str,
    lines: Sequence[Line],
    difference: Difference | None,
    by: str,
    reason: str,
    at: datetime,
    partial_extension: timedelta,
) -> Allocated:
    """Allocate the transfer to the orders in `lines` (see domain.allocations.plan).

    Idempotent: a transfer already allocated reports what its allocation did.
    """
    payment = session.get(Payment, mutation_id, with_for_update=True, populate_existing=True)
    if payment is None:
        raise LookupError(f"no payment for mutation {mutation_id}")
    if (earlier := _earlier(session, mutation_id)) is not None:
        return earlier
    locked: dict[str, Order] = {}
    for ref in sorted({line.order_ref for line in lines}):
        order = _locked_order(session, ref)
        if order is None:
            return Allocated(False, refusal="unknown_order", detail=f"order {ref} does not exist")
        locked[ref] = order
    # Lines may name an order by its merchant reference or loose spelling: use ours.
    canonical = [Line(locked[line.order_ref].ref, line.amount) for line in lines]
    by_ref = {order.ref: order for order in locked.values()}
    for order in by_ref.values():
        if order.status == OrderStatus.PAID:
            return Allocated(
                False,
                refusal="order_already_paid",
                detail=f"order {order.ref} is already paid by mutation {order.paid_by_mutation_id}",
                paid_by=order.paid_by_mutation_id,
            )
    due = {ref: order.amount_due for ref, order in by_ref.items()}
    try:
        made = plan(payment.amount, due, canonical, difference)
    except DoesNotAddUp as exc:
        return Allocated(False, refusal="does_not_add_up", detail=str(exc))
    _store(session, payment, by_ref, made, by, reason, at, partial_extension)
    # A session holds a row it has no change for only weakly: held here, the payment is
    # still in it when this transaction's invoice reads it (invoicing), with no SELECT.
    session.info["allocated"] = payment
    # Set on the locked row itself, so the invoice's reads in this transaction see it
    # as booked without reading it again.
    payment.status, payment.order_ref, payment.flag_reason = (
        PaymentStatus.PAID, canonical[0].order_ref, None,
    )  # fmt: skip
    payment.paid_at, payment.updated_at = at, at
    return Allocated(True, made.completed, made.partial, made.refund, made.surplus)


def _store(
    session: Session,
    payment: Payment,
    orders: dict[str, Order],
    made: Plan,
    by: str,
    reason: str,
    at: datetime,
    partial_extension: timedelta,
) -> None:
    mutation_id = payment.mutation_id
    first = next(iter(made.to_orders))

    def row(ref: str, amount: Decimal, kind: AllocationKind) -> None:
        session.add(Allocation(mutation_id=mutation_id, order_ref=ref, amount=amount,
                               kind=kind, decided_by=by, reason=reason, created_at=at))  # fmt: skip

    for ref, amount in made.to_orders.items():
        row(ref, amount, AllocationKind.ORDER)
        order = orders[ref]
        order.amount_due -= amount
    for ref, amount in made.write_offs.items():
        row(ref, amount, AllocationKind.WRITE_OFF)
        orders[ref].amount_due = Decimal(0)
    for ref in made.completed:
        order = orders[ref]
        order.status, order.paid_at, order.paid_by_mutation_id = OrderStatus.PAID, at, mutation_id
        order.amount_due = Decimal(0)
    for ref in made.partial:
        order = orders[ref]
        order.status = OrderStatus.PARTIALLY_PAID
        # Open for the rest: the customer gets time to send it.
        order.expires_at = max(order.expires_at, at + partial_extension)
    if made.surplus:
        row(first, made.surplus, AllocationKind.SURPLUS)
    if made.refund:
        row(first, made.refund, AllocationKind.REFUND)
        session.add(Refund(mutation_id=mutation_id, order_ref=first, amount=made.refund,
                           status=RefundStatus.DUE, decided_by=by, reason=reason,
                           created_at=at))  # fmt: skip


def _earlier(session: Session, mutation_id: str) -> Allocated | None:
    rows = allocations_of(session, mutation_id)
    if not rows:
        return None
    refs = {r.order_ref for r in rows if r.kind == AllocationKind.ORDER}
    result = session.execute(select(Order).where(col(Order.ref).in_(refs)))
    orders = list(result.scalars())
    total = {kind: sum((r.amount for r in rows if r.kind == kind), Decimal(0))
             for kind in (AllocationKind.REFUND, AllocationKind.SURPLUS)}  # fmt: skip
    return Allocated(
        True,
        [
            o.ref
            for o in orders
            if o.status == OrderStatus.PAID and o.paid_by_mutation_id == mutation_id
        ],
        {o.ref: o.amount_due for o in orders if o.status == OrderStatus.PARTIALLY_PAID},
        total[AllocationKind.REFUND],
        total[AllocationKind.SURPLUS],
    )


def _locked_order(session: Session, ref: str) -> Order | None:
    # Usually our own reference, exactly: one read. Else the merchant's or a loose
    # spelling, found first and then locked.
    order = session.get(Order, ref, with_for_update=True, populate_existing=True)
    if order is not None:
        return order
    found = get_order(session, ref)
    if found is None:
        return None
    return session.get(Order, found.ref, with_for_update=True, populate_existing=True)


# Built once, the value bound at execution (see store.db.built_once).
_BY_ID = col(Allocation.id)
_OF = select(Allocation).where(col(Allocation.mutation_id) == bindparam("id")).order_by(_BY_ID)
_TO = select(Allocation).where(col(Allocation.order_ref) == bindparam("ref")).order_by(_BY_ID)
_REFUND_OF = select(Refund).where(col(Refund.mutation_id) == bindparam("id"))


def allocations_of(session: Session, mutation_id: str) -> list[Allocation]:
    return list(session.scalars(_OF, {"id": mutation_id}))


def allocations_to(session: Session, order_ref: str) -> list[Allocation]:
    return list(session.scalars(_TO, {"ref": order_ref}))


def refund_of(session: Session, mutation_id: str) -> Refund | None:
    return session.scalars(_REFUND_OF, {"id": mutation_id}).one_or_none()


async def refunds_page(
    session: AsyncSession, status: str | None, limit: int, after: Key | None
) -> Page[Refund]:
    """Refunds oldest first (the longest owed on top)."""
    statement = select(Refund)
    if status:
        statement = statement.where(col(Refund.status) == status)
    if after is not None:
        at, id_ = col(Refund.created_at), col(Refund.id)
        statement = statement.where((at > after.at) | ((at == after.at) & (id_ > int(after.id))))
    result = await session.execute(
        statement.order_by(col(Refund.created_at), col(Refund.id)).limit(limit + 1)
    )
    return page_of(list(result.scalars()), limit, lambda r: Key(r.created_at, str(r.id)))


async def mark_refund_paid(
    session: AsyncSession, refund_id: int, reference: str, by: str, at: datetime
) -> tuple[Refund | None, bool]:
    """(refund, changed): paid once; marking it again with the same reference is a no-op."""
    refund = await session.get(Refund, refund_id, with_for_update=True, populate_existing=True)
    if refund is None or refund.status == RefundStatus.PAID:
        return refund, False
    refund.status, refund.paid_reference, refund.paid_by, refund.paid_at = (
        RefundStatus.PAID, reference, by, at,
    )  # fmt: skip
    return refund, True


def lines_json(lines: Sequence[Line]) -> str:
    return json.dumps(
        [
            {
                "order_ref": line.order_ref,
                "amount": None if line.amount is None else str(line.amount),
            }
            for line in lines
        ]
    )
