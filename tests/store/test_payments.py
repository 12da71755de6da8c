"""Booking orders paid: exactly one mutation per order, even when two race."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from mootaflow.domain.moota import parse_mutation
from mootaflow.domain.orders import NewOrder
from mootaflow.domain.payments import Booking
from mootaflow.store import orders, payments
from mootaflow.store.db import Sessions
from mootaflow.store.tables import Allocation
from tests.support.moota import mutation

NOW = datetime.now(UTC)


async def open_order(sessions: Sessions) -> str:
    async with sessions.begin() as session:
        order, _ = await orders.create_order(
            session,
            NewOrder(account_number="1234567890", amount=Decimal(150000)),
            codes=orders.CodeRange(1, 999),
            default_expiry=timedelta(hours=1),
            now=NOW,
        )
    return order.ref


async def recorded(sessions: Sessions) -> str:
    parsed = parse_mutation(mutation())
    async with sessions.begin() as session:
        await session.run_sync(payments.record_payment, parsed, NOW)
    return parsed.mutation_id


async def test_two_mutations_racing_for_one_order(sessions: Sessions) -> None:
    ref = await open_order(sessions)
    first, second = await recorded(sessions), await recorded(sessions)

    async def book(mutation_id: str) -> Booking:
        async with sessions.begin() as session:
            return await session.run_sync(payments.mark_paid, mutation_id, ref, NOW)

    results = await asyncio.gather(book(first), book(second))
    assert sorted(r.paid for r in results) == [False, True]
    winner = next(m for m, r in zip((first, second), results, strict=True) if r.paid)
    loser = next(r for r in results if not r.paid)
    assert loser.paid_by == winner

    async with sessions.begin() as session:
        order = await session.run_sync(orders.get_order, ref)
        paid = [p for p in await payments.payments_for_order(session, ref) if p.status == "paid"]
    assert order is not None and order.paid_by_mutation_id == winner
    assert [p.mutation_id for p in paid] == [winner]


async def test_mark_paid_is_idempotent(sessions: Sessions) -> None:
    ref = await open_order(sessions)
    mutation_id = await recorded(sessions)
    async with sessions.begin() as session:
        first = await session.run_sync(payments.mark_paid, mutation_id, ref, NOW)
        again = await session.run_sync(
            payments.mark_paid, mutation_id, ref, NOW + timedelta(minutes=5)
        )
    assert first.paid and again.paid
    assert again.paid_at == first.paid_at


async def test_one_mutation_cannot_pay_two_orders(sessions: Sessions) -> None:
    first_ref, mutation_id = await open_order(sessions), await recorded(sessions)
    async with sessions.begin() as session:
        other = await orders.create_order(
            session,
            NewOrder(account_number="555", amount=Decimal(1000)),
            codes=orders.CodeRange(1, 9),
            default_expiry=timedelta(hours=1),
            now=NOW,
        )
        assert (await session.run_sync(payments.mark_paid, mutation_id, first_ref, NOW)).paid
        second = await session.run_sync(payments.mark_paid, mutation_id, other[0].ref, NOW)
    assert not second.paid


async def test_the_database_refuses_a_second_allocation_line(sessions: Sessions) -> None:
    # The ledger's unique key (mutation, order, kind): the last line of defence
    # behind the row locks.
    ref = await open_order(sessions)
    first = await recorded(sessions)
    async with sessions.begin() as session:
        await session.run_sync(payments.mark_paid, first, ref, NOW)
    async with sessions.begin() as session:
        session.add(
            Allocation(mutation_id=first, order_ref=ref, amount=Decimal(1), kind="order",
                       decided_by="x", created_at=NOW)
        )  # fmt: skip
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_unknown_order(sessions: Sessions) -> None:
    mutation_id = await recorded(sessions)
    async with sessions.begin() as session:
        with pytest.raises(LookupError, match="does not exist"):
            await session.run_sync(payments.mark_paid, mutation_id, "MF-NONE-0000", NOW)


async def test_open_payment_creates_once_and_records_later_runs_of_a_finished_one(
    sessions: Sessions,
) -> None:
    parsed = parse_mutation(mutation())
    async with sessions.begin() as session:
        first = await session.run_sync(payments.open_payment, parsed, NOW, "run-1")
        retried = await session.run_sync(payments.open_payment, parsed, NOW, "run-1")
    assert (first.created, first.resent, first.payment.status) == (True, False, "received")
    assert (retried.created, retried.resent) == (False, False)  # same run, nothing to record
    async with sessions.begin() as session:
        await session.run_sync(payments.set_status, parsed.mutation_id, "rejected", NOW)
    async with sessions.begin() as session:
        later = await session.run_sync(payments.open_payment, parsed, NOW, "run-2")
        again = await session.run_sync(
            payments.open_payment, parsed, NOW, "run-2"
        )  # a retried attempt
        third = await session.run_sync(payments.open_payment, parsed, NOW, "run-3")
        rows = await session.run_sync(payments.resends, parsed.mutation_id)
    assert (later.resent, later.payment.status, again.resent, third.resent) == (
        True,
        "rejected",
        True,
        True,
    )
    assert [(r.run_id, r.status) for r in rows] == [("run-2", "rejected"), ("run-3", "rejected")]
