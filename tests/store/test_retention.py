"""The purge on back-dated rows: old audit rows go, business records and pending rows stay."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlmodel import SQLModel, col

from mootaflow.domain.moota import load_delivery, parse_delivery, parse_mutation
from mootaflow.store import inbox, payments
from mootaflow.store.db import Sessions
from mootaflow.store.one_call import in_session
from mootaflow.store.retention import purge_before
from mootaflow.store.tables import Delivery, InboxMutation, Payment, QuarantinedMutation
from tests.support.moota import body_of, mutation

NOW = datetime.now(UTC)


async def deliver(sessions: Sessions, *items: object, days_ago: int) -> None:
    body = body_of(*items)
    loaded = load_delivery(body)
    facts = inbox.RequestFacts(NOW - timedelta(days=days_ago), "127.0.0.1", {}, len(body), "x")
    async with sessions.begin() as session:
        await in_session(
            session, inbox.save_accepted, [inbox.Incoming(facts, parse_delivery(loaded), loaded)]
        )


async def count(sessions: Sessions, table: type[SQLModel]) -> int:
    async with sessions.begin() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def test_purge_keeps_recent_pending_and_business_rows(sessions: Sessions) -> None:
    old_started, old_pending = mutation(), mutation()
    await deliver(sessions, old_started, {"bad": "item"}, days_ago=40)
    await deliver(sessions, old_pending, days_ago=40)
    await deliver(sessions, mutation(), days_ago=1)
    async with sessions.begin() as session:
        await in_session(session, inbox.mark_started, [old_started["mutation_id"]], NOW)
        await session.run_sync(
            payments.record_payment, parse_mutation(old_started), NOW - timedelta(40)
        )
        await session.execute(update(Payment).values(recorded_at=NOW - timedelta(days=40)))

    purged = await purge_before(sessions, NOW - timedelta(days=30))
    assert (purged.deliveries, purged.inbox_rows, purged.quarantined) == (1, 1, 1)

    async with sessions.begin() as session:
        left = {r.mutation_id for r in (await session.execute(select(InboxMutation))).scalars()}
        deliveries = (await session.execute(select(col(Delivery.received_at)))).scalars().all()
    assert old_pending["mutation_id"] in left  # never purge what was not started
    assert old_started["mutation_id"] not in left
    assert len(deliveries) == 2  # the recent one, and the one its pending row needs
    assert await count(sessions, QuarantinedMutation) == 0
    assert await count(sessions, Payment) == 1  # business records are never purged


async def test_purge_goes_in_batches_until_done(sessions: Sessions) -> None:
    items = [mutation() for _ in range(5)]
    for n, item in enumerate(items):
        await deliver(sessions, item, {"bad": n}, days_ago=40)
    async with sessions.begin() as session:
        await in_session(session, inbox.mark_started, [i["mutation_id"] for i in items], NOW)
    purged = await purge_before(sessions, NOW - timedelta(days=30), batch=2)
    assert (purged.deliveries, purged.inbox_rows, purged.quarantined) == (5, 5, 5)
    assert await count(sessions, Delivery) == 0
