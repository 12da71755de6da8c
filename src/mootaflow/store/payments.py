"""The workflow side's SQL: payment rows, their match outcome, booking an order paid."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Insert, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from mootaflow.domain.allocations import Difference, Line
from mootaflow.domain.matching import MatchOutcome
from mootaflow.domain.moota import Mutation
from mootaflow.domain.payments import Booking, PaymentStatus
from mootaflow.domain.reconcile import WEBHOOK
from mootaflow.store import allocations, invoices, notifications
from mootaflow.store.db import built_once, insert_ignore, table_of
from mootaflow.store.tables import (
    DecisionRecord,
    Invoice,
    MutationColumns,
    Notification,
    Order,
    Payment,
    PaymentResend,
)


def record_payment(
    session: Session, mutation: Mutation, at: datetime, source: str = WEBHOOK
) -> bool:
    """Insert the payment row once; True if this call created it."""
    result = session.execute(_new_payment(session, mutation, at, source))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _new_payment(session: Session, mutation: Mutation, at: datetime, source: str) -> Insert:
    """The insert-or-ignore of a payment's row. Its source (webhook or reconcile) is
    the inbox row's (`inbox.source_of`, in the receiving database)."""
    return insert_ignore(session, Payment, "mutation_id").values(
        **MutationColumns.values_of(mutation),
        status=PaymentStatus.RECEIVED,
        recorded_at=at,
        updated_at=at,
        source=source,
    )


# A run that finds its payment in one of these is not the first to handle it.
_BEFORE_MATCHING = frozenset({PaymentStatus.RECEIVED, PaymentStatus.MATCHED})


@dataclass(frozen=True)
class Opened:
    created: bool
    payment: Payment
    decision: DecisionRecord | None
    resent: bool  # a later run found the payment past matching (and recorded that)
    # This run settled it already (settle_payment, in an attempt whose answer was lost).
    again: bool = False


def open_payment(
    session: Session, mutation: Mutation, at: datetime, run_id: str, source: str = WEBHOOK
) -> Opened:
    """Insert the payment row once and say where it stands, in one transaction.

    A run finding the payment past matching records itself in `payment_resend`
    (once per run, so a retried attempt adds nothing), unless it settled it itself.
    """
    inserted = session.execute(_new_payment(session, mutation, at, source))
    created = bool(inserted.rowcount)  # type: ignore[attr-defined]
    payment = session.get(Payment, mutation.mutation_id, populate_existing=True)
    assert payment is not None
    # A payment this call created has no decision yet.
    decision = None if created else session.get(DecisionRecord, mutation.mutation_id)
    past_matching = payment.status not in _BEFORE_MATCHING
    again = past_matching and payment.settled_run_id == run_id
    resent = past_matching and not again
    if resent:
        session.execute(
            insert_ignore(session, PaymentResend, "run_id").values(
                run_id=run_id,
                mutation_id=mutation.mutation_id,
                status=payment.status,
                resent_at=at,
            )
        )
    return Opened(created, payment, decision, resent, again)


# Built once, the value bound at execution (see store.db.built_once).
_RESENDS = (
    select(PaymentResend)
    .where(col(PaymentResend.mutation_id) == bindparam("id"))
    .order_by(col(PaymentResend.resent_at))
)
_WITH_DECISION = (
    select(Payment, DecisionRecord)
    .outerjoin(DecisionRecord, col(DecisionRecord.mutation_id) == col(Payment.mutation_id))
    .where(col(Payment.mutation_id) == bindparam("id"))
)


def resends(session: Session, mutation_id: str) -> list[PaymentResend]:
    return list(session.scalars(_RESENDS, {"id": mutation_id}))


@dataclass(frozen=True)
class PaymentRecord:
    """A payment with every row about it that finance is shown."""

    payment: Payment
    invoice: Invoice | None
    notifications: list[Notification]
    decision: DecisionRecord | None
    resends: list[PaymentResend]


def payment_record(session: Session, mutation_id: str) -> PaymentRecord | None:
    payment, decision = payment_and_decision(session, mutation_id)
    if payment is None:
        return None
    return PaymentRecord(
        payment,
        invoices.invoice_of_mutation(session, mutation_id),
        notifications.for_mutation(session, mutation_id),
        decision,
        resends(session, mutation_id),
    )


def payment_and_decision(
    session: Session, mutation_id: str
) -> tuple[Payment | None, DecisionRecord | None]:
    row = session.execute(_WITH_DECISION, {"id": mutation_id}).one_or_none()
    return (None, None) if row is None else (row[0], row[1])


async def get_payment(session: AsyncSession, mutation_id: str) -> Payment | None:
    return await session.get(Payment, mutation_id)


def save_outcome(
    session: Session,
    mutation_id: str,
    outcome: MatchOutcome,
    at: datetime,
    settled_by: str | None = None,
) -> None:
    """Store the match outcome, unless the payment is already booked (a late retry);
    `settled_by`: the run settling it in one step (settle_payment)."""
    run = {"settled_run_id": settled_by} if settled_by else {}
    session.execute(
        update(Payment)
        .where(col(Payment.mutation_id) == mutation_id, col(Payment.status) != PaymentStatus.PAID)
        .values(
            status=outcome.status,
            order_ref=outcome.order_ref,
            flag_reason=outcome.reason.value if outcome.reason else None,
            ignored_reason=outcome.ignored_reason.value if outcome.ignored_reason else None,
            candidates=json.dumps(outcome.candidates),
            updated_at=at,
            **run,
        )
    )


def mark_paid(session: Session, mutation_id: str, order_ref: str, at: datetime) -> Booking:
    """Book the order paid by this mutation (all of the transfer to it).

    Idempotent (a second call for the same pair reports the first booking), and
    race-safe (see store/allocations.py): of two mutations racing for one order
    exactly one books it and the other learns who won. A transfer that differs
    from what the order owes is booked in full with the difference accepted: the
    path of approvals sent before finance chose what happens to a difference.
    """
    order = session.get(Order, order_ref, with_for_update=True, populate_existing=True)
    if order is None:
        raise LookupError(f"order {order_ref} does not exist")
    if order.paid_by_mutation_id is not None:
        if order.paid_by_mutation_id == mutation_id:
            return Booking(True, order_ref, order.paid_at)  # booked by an earlier attempt
        return Booking(False, order_ref, paid_by=order.paid_by_mutation_id)
    done = allocations.allocate(
        session, mutation_id, [Line(order_ref)], Difference.ACCEPT, allocations.MATCHING,
        "booked in full", at, timedelta(),
    )  # fmt: skip
    if not done.done:
        return Booking(False, order_ref, paid_by=done.paid_by)
    if order_ref not in done.completed:
        # The order is unpaid, so this is what allocate reports of an earlier allocation
        # of this mutation's money: it went elsewhere already.
        return Booking(False, order_ref)
    return Booking(True, order_ref, at)


def set_status(session: Session, mutation_id: str, status: str, at: datetime) -> None:
    """Final states of a flagged payment (rejected, unresolved); never un-pays one."""
    session.execute(
        update(Payment)
        .where(col(Payment.mutation_id) == mutation_id, col(Payment.status) != PaymentStatus.PAID)
        .values(status=status, updated_at=at)
    )


_RECORD_DECISION = built_once(
    lambda insert: insert(table_of(DecisionRecord)).on_conflict_do_nothing(
        index_elements=["mutation_id"]
    )
)


def record_decision(session: Session, decision: DecisionRecord) -> None:
    session.execute(_RECORD_DECISION(session), decision.model_dump())


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


async def count_by_status(session: AsyncSession, statuses: Sequence[str]) -> dict[str, int]:
    result = await session.execute(
        select(col(Payment.status), func.count())
        .where(col(Payment.status).in_(statuses))
        .group_by(col(Payment.status))
    )
    counts = {status: 0 for status in statuses}
    counts.update({status: int(n) for status, n in result.all()})
    return counts


async def payments_for_order(session: AsyncSession, order_ref: str) -> list[Payment]:
    result = await session.execute(select(Payment).where(col(Payment.order_ref) == order_ref))
    return list(result.scalars())
