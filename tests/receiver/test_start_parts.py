"""The three jobs of starting workflows, each on its own: the start pool, the batched
"started" marks and the redrive pass (real SQLite/PostgreSQL, real Temporal)."""

import asyncio
from datetime import UTC, datetime, timedelta

from temporalio.client import Client

from mootaflow.domain.moota import Mutation, parse_delivery
from mootaflow.domain.settings import Settings
from mootaflow.receiver.redrive import Redrive
from mootaflow.receiver.start_pool import StartPool
from mootaflow.receiver.started_marks import StartedMarks
from mootaflow.store import inbox
from mootaflow.store.db import Sessions
from mootaflow.store.one_call import OneCall, in_session
from mootaflow.temporal.client import LazyClient
from tests.support.moota import mutation
from tests.support.temporal import wait_for_workflow


async def accepted(sessions: Sessions, count: int) -> list[Mutation]:
    """Inbox rows as the webhook leaves them: acknowledged, pending."""
    items: list[object] = [mutation() for _ in range(count)]
    parsed = parse_delivery(items)
    received = datetime.now(UTC) - timedelta(minutes=1)  # past the redrive's grace
    facts = inbox.RequestFacts(received, "127.0.0.1", {}, None, None)
    async with sessions.begin() as session:
        await in_session(session, inbox.save_accepted, [inbox.Incoming(facts, parsed, items)])
    return [a.mutation for a in parsed.accepted]


async def states(sessions: Sessions, ids: list[str]) -> list[str]:
    async with sessions.begin() as session:
        rows = [await inbox.get_inbox_row(session, i) for i in ids]
    return [row.state if row else "missing" for row in rows]


async def test_marks_are_batched_and_release_their_ids(
    one_call: OneCall, sessions: Sessions
) -> None:
    rows = await accepted(sessions, 5)
    released: list[str] = []
    marks = StartedMarks(one_call, on_marked=released.extend)
    marks.start()
    try:
        for row in rows:
            marks.add(row.mutation_id)
        ids = [r.mutation_id for r in rows]
        async with asyncio.timeout(5):
            while sorted(released) != sorted(ids):
                await asyncio.sleep(0.05)
        assert await states(sessions, ids) == ["started"] * 5
    finally:
        await marks.stop()


async def test_pool_starts_once_per_mutation_and_never_blocks(
    settings: Settings, one_call: OneCall, sessions: Sessions, client: Client
) -> None:
    rows = await accepted(sessions, 3)

    async def connect() -> Client:
        return client

    small = settings.model_copy(update={"start_queue_size": 2, "start_concurrency": 1})
    pool = StartPool(small, one_call, LazyClient(connect))
    # Not started yet: nothing takes from the queue, so it fills.
    assert pool.submit(rows) == 2  # the third waits for the redrive
    assert pool.submit(rows[:2]) == 0  # in flight already
    assert pool.busy and pool.in_flight(rows[0].mutation_id)
    assert not pool.in_flight(rows[2].mutation_id)
    pool.start()
    try:
        for row in rows[:2]:
            await wait_for_workflow(client, row.workflow_id)
        async with asyncio.timeout(5):
            while pool.in_flight(rows[0].mutation_id) or pool.in_flight(rows[1].mutation_id):
                await asyncio.sleep(0.05)
        ids = [r.mutation_id for r in rows]
        assert await states(sessions, ids) == ["started", "started", "pending"]
    finally:
        await pool.stop()


async def test_redrive_waits_while_temporal_is_away_then_starts_the_backlog(
    settings: Settings, one_call: OneCall, sessions: Sessions, client: Client
) -> None:
    rows = await accepted(sessions, 2)
    reachable = False

    async def connect() -> Client:
        if not reachable:
            raise ConnectionError("Temporal is down")
        return client

    temporal = LazyClient(connect)
    pool = StartPool(settings, one_call, temporal)
    redrive = Redrive(settings, sessions, temporal, pool)
    pool.start()
    try:
        assert await redrive.once() == 0  # down: no start attempted, nothing failed
        assert await states(sessions, [r.mutation_id for r in rows]) == ["pending"] * 2
        reachable = True
        assert await redrive.once() == 2
        for row in rows:
            await wait_for_workflow(client, row.workflow_id)
    finally:
        await pool.stop()
