import asyncio

from sqlalchemy import func, select
from temporalio.testing import ActivityEnvironment

from mootaflow.activities.payment import PaymentActivities
from mootaflow.domain.matching import FlagReason
from mootaflow.domain.moota import parse_mutation
from mootaflow.domain.settings import Settings
from mootaflow.store import allocations, invoices, orders
from mootaflow.store.db import Sessions
from mootaflow.store.one_call import OneCall
from mootaflow.store.payments import get_payment
from mootaflow.store.tables import Payment
from tests.store.test_payments import open_order
from tests.support.moota import mutation


async def test_record_mutation_is_idempotent(
    sessions: Sessions, settings: Settings, inbox_sessions: Sessions, one_call: OneCall
) -> None:
    activities = PaymentActivities(one_call, settings, inbox_sessions)
    parsed = parse_mutation(mutation(amount="100123.50"))
    env = ActivityEnvironment()
    assert await env.run(activities.record_mutation, parsed) is True
    # A retry after a lost completion must not create a second row.
    assert await env.run(activities.record_mutation, parsed) is False
    async with sessions.begin() as session:
        count = (await session.execute(select(func.count()).select_from(Payment))).scalar_one()
        payment = await get_payment(session, parsed.mutation_id)
    assert count == 1
    assert payment is not None
    assert (payment.status, str(payment.amount)) == ("received", "100123.50")


async def test_two_transfers_settled_at_once_for_one_order_pay_it_once(
    sessions: Sessions, settings: Settings, inbox_sessions: Sessions, one_call: OneCall
) -> None:
    """Two transfers of the order's exact amount, settled concurrently. PostgreSQL: both
    match, the second waits on the order's row lock, then finds it paid and flags itself
    in its own transaction. SQLite: the second waits for the write lock and its matching
    finds the order paid. Either way: one booking, one invoice, the other flagged."""
    ref = await open_order(sessions)
    async with sessions.begin() as session:
        order = await session.run_sync(orders.get_order, ref)
    assert order is not None
    activities = PaymentActivities(one_call, settings, inbox_sessions)
    transfers = [parse_mutation(mutation(amount=str(order.amount))) for _ in range(2)]
    results = await asyncio.gather(
        *(ActivityEnvironment().run(activities.settle_payment, t) for t in transfers)
    )
    pairs = list(zip(results, transfers, strict=True))
    [(winner, won)] = [(r, t) for r, t in pairs if r.booking and r.booking.paid]
    [(loser, lost)] = [(r, t) for r, t in pairs if t is not won]
    assert winner.invoice is not None and winner.invoice.number
    # Flagged by its matching (SQLite), or matched and told who won (PostgreSQL).
    assert loser.invoice is None and loser.outcome is not None
    if loser.booking is None:
        assert loser.outcome.reason == FlagReason.ALREADY_PAID
    else:
        assert loser.booking.paid_by == won.mutation_id
    async with sessions.begin() as session:
        booked = await session.run_sync(orders.get_order, ref)
        to_order = await session.run_sync(allocations.allocations_to, ref)
        stored = {t.mutation_id: await get_payment(session, t.mutation_id) for t in transfers}
        invoice = await session.run_sync(invoices.invoice_for_order, ref)
    assert booked is not None and booked.status == "paid"
    assert [a.mutation_id for a in to_order] == [booked.paid_by_mutation_id] == [won.mutation_id]
    flagged = stored[lost.mutation_id]
    assert flagged is not None and flagged.status == "awaiting_approval"
    assert flagged.flag_reason == FlagReason.ALREADY_PAID.value
    assert invoice is not None and invoice.number == winner.invoice.number and invoice.pdf
