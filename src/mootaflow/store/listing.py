"""Paged reads for finance: payments by status or search, quarantined items,
decisions, and the open orders a flagged payment might be for."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from mootaflow.domain.orders import ref_key
from mootaflow.domain.paging import Key, Page, page_of
from mootaflow.store.tables import DecisionRecord, Order, Payment, QuarantinedMutation


@dataclass(frozen=True)
class PaymentFilter:
    """Which payments; every field narrows (None: any)."""

    statuses: tuple[str, ...] = ()
    account: str | None = None
    amount: Decimal | None = None
    # The order it paid, or a candidate of a flagged payment (canonical reference).
    order_ref: str | None = None
    mutation_id: str | None = None
    # The bank's date of the transfer, [since, before).
    since: datetime | None = None
    before: datetime | None = None
    newest_first: bool = False


def after_key(
    at: Any, id_: Any, key: Key | None, *, descending: bool
) -> ColumnElement[bool] | None:
    """Rows strictly past `key` in (at, id) order: the keyset condition."""
    if key is None:
        return None
    if descending:
        return or_(at < key.at, and_(at == key.at, id_ < key.id))
    return or_(at > key.at, and_(at == key.at, id_ > key.id))


async def payments_page(
    session: AsyncSession, where: PaymentFilter, limit: int, after: Key | None
) -> Page[Payment]:
    """Payments in arrival order (oldest first unless `newest_first`)."""
    at, id_ = col(Payment.recorded_at), col(Payment.mutation_id)
    statement = _filtered(select(Payment), where)
    if (past := after_key(at, id_, after, descending=where.newest_first)) is not None:
        statement = statement.where(past)
    order = (at.desc(), id_.desc()) if where.newest_first else (at, id_)
    result = await session.execute(statement.order_by(*order).limit(limit + 1))
    return page_of(list(result.scalars()), limit, lambda p: Key(p.recorded_at, p.mutation_id))


def _filtered(statement: Select[Any], where: PaymentFilter) -> Select[Any]:
    if where.statuses:
        statement = statement.where(col(Payment.status).in_(where.statuses))
    if where.account:
        statement = statement.where(col(Payment.account_number) == where.account)
    if where.amount is not None:
        statement = statement.where(col(Payment.amount) == where.amount)
    if where.mutation_id:
        statement = statement.where(col(Payment.mutation_id) == where.mutation_id)
    if where.order_ref:
        # Candidates are a JSON list of references: look for the quoted reference.
        quoted = '%"' + where.order_ref.replace("%", "").replace("_", "") + '"%'
        statement = statement.where(
            or_(
                col(Payment.order_ref) == where.order_ref,
                col(Payment.candidates).like(quoted),
            )
        )
    if where.since is not None:
        statement = statement.where(col(Payment.mutation_date) >= where.since)
    if where.before is not None:
        statement = statement.where(col(Payment.mutation_date) < where.before)
    return statement


async def quarantined_page(
    session: AsyncSession, limit: int, after: Key | None
) -> Page[QuarantinedMutation]:
    """Quarantined items, newest first."""
    at, id_ = col(QuarantinedMutation.received_at), col(QuarantinedMutation.fingerprint)
    statement = select(QuarantinedMutation)
    if (past := after_key(at, id_, after, descending=True)) is not None:
        statement = statement.where(past)
    result = await session.execute(statement.order_by(at.desc(), id_.desc()).limit(limit + 1))
    return page_of(list(result.scalars()), limit, lambda q: Key(q.received_at, q.fingerprint))


async def decisions_page(
    session: AsyncSession, limit: int, after: Key | None
) -> Page[DecisionRecord]:
    """Decisions taken, newest first."""
    at, id_ = col(DecisionRecord.decided_at), col(DecisionRecord.mutation_id)
    statement = select(DecisionRecord)
    if (past := after_key(at, id_, after, descending=True)) is not None:
        statement = statement.where(past)
    result = await session.execute(statement.order_by(at.desc(), id_.desc()).limit(limit + 1))
    return page_of(list(result.scalars()), limit, lambda d: Key(d.decided_at, d.mutation_id))


async def open_orders_near(
    session: AsyncSession, account: str, amount: Decimal, spread: Decimal, limit: int = 10
) -> list[Order]:
    """Open orders on the account whose amount is within `spread` of this one, nearest
    first: what a customer who mistyped the amount meant to pay."""
    distance = func.abs(col(Order.amount) - amount)
    result = await session.execute(
        select(Order)
        .where(
            col(Order.account_number) == account,
            col(Order.status) == "open",
            col(Order.amount).between(amount - spread, amount + spread),
        )
        .order_by(distance, col(Order.created_at))
        .limit(limit)
    )
    return list(result.scalars())


async def orders_by_refs(session: AsyncSession, refs: Sequence[str]) -> dict[str, Order]:
    if not refs:
        return {}
    keys = [ref_key(ref) for ref in refs]
    result = await session.execute(select(Order).where(col(Order.ref_key).in_(keys)))
    return {order.ref: order for order in result.scalars()}


async def decisions_for(
    session: AsyncSession, mutation_ids: Sequence[str]
) -> dict[str, DecisionRecord]:
    if not mutation_ids:
        return {}
    result = await session.execute(
        select(DecisionRecord).where(col(DecisionRecord.mutation_id).in_(mutation_ids))
    )
    return {d.mutation_id: d for d in result.scalars()}
