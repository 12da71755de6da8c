"""Accounting reads: payments with their order, invoice and decision, by bank date."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from mootaflow.domain.allocations import AllocationKind
from mootaflow.domain.paging import Key, Page, page_of
from mootaflow.store.listing import after_key
from mootaflow.store.tables import Allocation, DecisionRecord, Invoice, Order, Payment
from mootaflow.store.types import Money

# The ledger's columns of a payment, in this order: money to orders, what orders were
# let off, overpayments kept, overpayments owed back.
LEDGER_KINDS = (
    AllocationKind.ORDER,
    AllocationKind.WRITE_OFF,
    AllocationKind.SURPLUS,
    AllocationKind.REFUND,
)


def _ledger(mutation_id: Any) -> list[ColumnElement[Decimal]]:
    """Per kind, the sum of the payment's allocation rows (0 without any)."""
    return [
        type_coerce(
            select(func.coalesce(func.sum(col(Allocation.amount)), 0))
            .where(col(Allocation.mutation_id) == mutation_id, col(Allocation.kind) == kind)
            .scalar_subquery(),
            Money,
        )
        for kind in LEDGER_KINDS
    ]


@dataclass(frozen=True)
class ExportRow:
    mutation_id: str
    mutation_date: datetime
    date_only: bool
    account_number: str
    amount: Decimal
    order_ref: str | None
    invoice_number: str | None
    unique_code: int | None
    status: str
    decided_by: str | None
    allocated: Decimal
    written_off: Decimal
    surplus: Decimal
    refund: Decimal


async def export_page(
    session: AsyncSession,
    since: datetime,
    before: datetime,
    statuses: tuple[str, ...],
    limit: int,
    after: Key | None,
) -> Page[ExportRow]:
    """Payments whose bank date is in [since, before), in bank-date order."""
    at, id_ = col(Payment.mutation_date), col(Payment.mutation_id)
    statement = (
        select(
            id_,
            at,
            col(Payment.date_only),
            col(Payment.account_number),
            col(Payment.amount),
            col(Payment.order_ref),
            col(Invoice.number),
            col(Order.unique_code),
            col(Payment.status),
            col(DecisionRecord.decided_by),
            *_ledger(id_),
        )
        # The invoice of the order it paid (a transfer for several orders has several).
        .outerjoin(
            Invoice,
            (col(Invoice.mutation_id) == id_) & (col(Invoice.order_ref) == col(Payment.order_ref)),
        )
        .outerjoin(Order, col(Order.ref) == col(Payment.order_ref))
        .outerjoin(DecisionRecord, col(DecisionRecord.mutation_id) == id_)
        .where(at >= since, at < before)
    )
    if statuses:
        statement = statement.where(col(Payment.status).in_(statuses))
    if (past := after_key(at, id_, after, descending=False)) is not None:
        statement = statement.where(past)
    result = await session.execute(statement.order_by(at, id_).limit(limit + 1))
    rows = [ExportRow(*tuple(row)) for row in result.all()]
    return page_of(rows, limit, lambda r: Key(r.mutation_date, r.mutation_id))


@dataclass(frozen=True)
class Tally:
    account_number: str
    status: str
    amount: Decimal
    mutation_date: datetime
    allocated: Decimal = Decimal(0)
    written_off: Decimal = Decimal(0)
    surplus: Decimal = Decimal(0)
    refund: Decimal = Decimal(0)


async def tallies(
    session: AsyncSession, since: datetime, before: datetime, account: str | None
) -> AsyncIterator[Tally]:
    """Credits with a bank date in [since, before), streamed (never all in memory)."""
    statement = select(
        col(Payment.account_number),
        col(Payment.status),
        col(Payment.amount),
        col(Payment.mutation_date),
        *_ledger(col(Payment.mutation_id)),
    ).where(
        col(Payment.mutation_date) >= since,
        col(Payment.mutation_date) < before,
        col(Payment.type) == "CR",
    )
    if account:
        statement = statement.where(col(Payment.account_number) == account)
    result = await session.stream(statement.execution_options(yield_per=1000))
    async for row in result:
        yield Tally(*tuple(row))
