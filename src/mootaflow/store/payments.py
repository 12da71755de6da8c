"""The workflow side's SQL: payment rows, their match outcome, booking an order paid."""

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from mootaflow.domain.matching import MatchOutcome
from mootaflow.domain.moota import Mutation
from mootaflow.store.db import insert_ignore
from mootaflow.store.tables import (
    DecisionRecord,
    InboxMutation,
    MutationColumns,
    Order,
    Payment,
)


async def record_payment(session: AsyncSession, mutation: Mutation, at: datetime) -> bool:
    """Insert the payment row once; True if this call created it.

    The source (webhook or reconcile) is the inbox row's: the workflow's input does
    not carry it. A mutation without an inbox row (purged by retention, or started
    by hand) counts as a webhook's.
    """
    async with session.begin():
        source = await session.scalar(
            select(col(InboxMutation.source)).where(
                col(InboxMutation.mutation_id) == mutation.mutation_id
            )
        )
        statement = insert_ignore(session, Payment, "mutation_id")
        result = await session.execute(
            statement.values(
                **MutationColumns.values_of(mutation),
                status="received",
                recorded_at=at,
                updated_at=at,
                source=source or "webhook",
            )
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def get_payment(session: AsyncSession, mutation_id: str) -> Payment | None:
    return await session.get(Payment, mutation_id)


async def save_outcome(
    session: AsyncSession, mutation_id: str, outcome: MatchOutcome, at: datetime
) -> None:
    """Store the match outcome, unless the payment is already booked (a late retry)."""
    async with session.begin():
        await session.execute(
            update(Payment)
            .where(col(Payment.mutation_id) == mutation_id, col(Payment.status) != "paid")
            .values(
                status=outcome.status,
                order_ref=outcome.order_ref,
                flag_reason=outcome.reason.value if outcome.reason else None,
                ignored_reason=outcome.ignored_reason.value if outcome.ignored_reason else None,
                candidates=json.dumps(outcome.candidates),
                updated_at=at,
            )
        )


@dataclass(frozen=True)
class Booking:
    paid: bool
    order_ref: str
    paid_at: datetime | None = None
    paid_by: str | None = None  # when not paid: the mutation that got there first


async def mark_paid(
    session: AsyncSession, mutation_id: str, order_ref: str, at: datetime
) -> Booking:
    """Book the order paid by this mutation, in one transaction.

    Idempotent (a second call for the same pair reports the first booking), and
    race-safe: the conditional update and the unique constraints let exactly one
    mutation pay an order; the loser learns who won.
    """
    try:
        async with session.begin():
            order = await session.get(Order, order_ref, with_for_update=True)
            if order is None:
                raise LookupError(f"order {order_ref} does not exist")
            if order.paid_by_mutation_id == mutation_id:
                return Booking(True, order_ref, order.paid_at)
            if order.paid_by_mutation_id is not None:
                return Booking(False, order_ref, paid_by=order.paid_by_mutation_id)
            booked = await session.execute(
                update(Order)
                .where(col(Order.ref) == order_ref, col(Order.paid_by_mutation_id).is_(None))
                .values(status="paid", paid_at=at, paid_by_mutation_id=mutation_id)
            )
            if not booked.rowcount:  # type: ignore[attr-defined]
                raise IntegrityError("order paid concurrently", None, Exception())
            await session.execute(
                update(Payment)
                .where(col(Payment.mutation_id) == mutation_id)
                .values(
                    status="paid",
                    order_ref=order_ref,
                    flag_reason=None,
                    paid_at=at,
                    updated_at=at,
                )
            )
        return Booking(True, order_ref, at)
    except IntegrityError:
        # Another mutation booked it (or this mutation already paid another order).
        session.expunge_all()
        async with session.begin():
            order = await session.get(Order, order_ref)
            assert order is not None
            if order.paid_by_mutation_id == mutation_id:
                return Booking(True, order_ref, order.paid_at)
            return Booking(False, order_ref, paid_by=order.paid_by_mutation_id)


async def set_status(session: AsyncSession, mutation_id: str, status: str, at: datetime) -> None:
    """Final states of a flagged payment (rejected, unresolved); never un-pays one."""
    async with session.begin():
        await session.execute(
            update(Payment)
            .where(col(Payment.mutation_id) == mutation_id, col(Payment.status) != "paid")
            .values(status=status, updated_at=at)
        )


async def record_decision(session: AsyncSession, decision: DecisionRecord) -> None:
    async with session.begin():
        values = decision.model_dump()
        await session.execute(insert_ignore(session, DecisionRecord, "mutation_id").values(values))


async def get_decision(session: AsyncSession, mutation_id: str) -> DecisionRecord | None:
    return await session.get(DecisionRecord, mutation_id)


async def by_status(session: AsyncSession, status: str, limit: int = 500) -> list[Payment]:
    result = await session.execute(
        select(Payment)
        .where(col(Payment.status) == status)
        .order_by(col(Payment.recorded_at))
        .limit(limit)
    )
    return list(result.scalars())


async def payments_for_order(session: AsyncSession, order_ref: str) -> list[Payment]:
    result = await session.execute(select(Payment).where(col(Payment.order_ref) == order_ref))
    return list(result.scalars())
