"""Group commit: concurrent deliveries share transactions, and each still gets its own
answer (new mutations, duplicates), on a real database."""

import asyncio
import dataclasses
import hashlib
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, event, select
from sqlmodel import col

from mootaflow.domain.moota import load_delivery, parse_delivery
from mootaflow.receiver.inbox_writer import InboxWriter, ReceiverStopping
from mootaflow.store import inbox
from mootaflow.store.db import Sessions
from mootaflow.store.one_call import OneCall
from mootaflow.store.tables import Delivery
from tests.support.moota import body_of, mutation


def incoming(*items: dict[str, Any]) -> inbox.Incoming:
    body = body_of(*items)
    loaded = load_delivery(body)
    facts = inbox.RequestFacts(
        received_at=datetime.now(UTC),
        source_ip="127.0.0.1",
        headers={"content-type": "application/json"},
        body_bytes=len(body),
        body_sha256=hashlib.sha256(body).hexdigest(),
    )
    return inbox.Incoming(facts, parse_delivery(loaded), loaded)


def count_commits(engine: Engine) -> list[int]:
    commits = [0]

    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        commits[0] += 1

    return commits


async def test_concurrent_deliveries_share_commits_and_get_their_own_answers(
    one_call: OneCall, sessions: Sessions
) -> None:
    commits = count_commits(one_call.sync_engine)
    writer = InboxWriter(one_call)
    await writer.start()
    try:
        shared = mutation()
        deliveries = [incoming(mutation(), shared) for _ in range(30)]
        saved = await asyncio.gather(*(writer.save(d) for d in deliveries))
    finally:
        await writer.stop()

    assert commits[0] < len(deliveries)  # batched: fewer commits than deliveries
    # The mutation sent in every delivery is new exactly once, in the first one saved.
    assert sorted(s.duplicates for s in saved) == [0] + [1] * 29
    assert sum(len(s.new) for s in saved) == 30 + 1
    async with sessions.begin() as session:
        rows = (await session.execute(select(Delivery).order_by(col(Delivery.id)))).scalars()
        stored = {row.id: row.duplicates for row in rows}
        assert await inbox.count_pending(session) == 31
    assert stored == {s.delivery_id: s.duplicates for s in saved}


async def test_one_failing_delivery_does_not_refuse_the_others(
    one_call: OneCall, sessions: Sessions
) -> None:
    writer = InboxWriter(one_call)
    await writer.start()
    good = [incoming(mutation()) for _ in range(5)]
    # Its parsed mutations are not among its items: saving it fails half-way through.
    broken = dataclasses.replace(incoming(mutation()), items=[])
    try:
        results = await asyncio.gather(
            *(writer.save(d) for d in [*good[:3], broken, *good[3:]]), return_exceptions=True
        )
    finally:
        await writer.stop()

    assert isinstance(results[3], KeyError)
    answered = [r for i, r in enumerate(results) if i != 3]
    assert all(isinstance(r, inbox.Saved) and len(r.new) == 1 for r in answered)
    async with sessions.begin() as session:
        assert await inbox.count_pending(session) == 5


async def test_a_stopped_writer_refuses_instead_of_losing(one_call: OneCall) -> None:
    writer = InboxWriter(one_call)
    with pytest.raises(ReceiverStopping):
        await writer.save(incoming(mutation()))
    await writer.start()
    await writer.stop()
    with pytest.raises(ReceiverStopping):
        await writer.save(incoming(mutation()))


def transaction_parts() -> dict[str, tuple[float, float]]:
    """(count, sum) of each part of the inbox transactions observed so far."""
    sample = REGISTRY.get_sample_value
    return {
        part: (
            sample("mootaflow_inbox_transaction_seconds_count", {"part": part}) or 0.0,
            sample("mootaflow_inbox_transaction_seconds_sum", {"part": part}) or 0.0,
        )
        for part in ("begin", "statements", "commit")
    }


async def test_each_transaction_is_timed_by_part_and_a_slow_commit_shows_as_commit(
    one_call: OneCall,
) -> None:
    @event.listens_for(one_call.sync_engine, "commit")
    def _slow_disk(connection: Any) -> None:
        time.sleep(0.05)  # as a sync that waits for a busy disk

    before = transaction_parts()
    writer = InboxWriter(one_call)
    await writer.start()
    try:
        for _ in range(3):
            await writer.save(incoming(mutation()))
    finally:
        await writer.stop()
    after = transaction_parts()

    counts = {part: after[part][0] - before[part][0] for part in after}
    seconds = {part: after[part][1] - before[part][1] for part in after}
    assert counts == {"begin": 3, "statements": 3, "commit": 3}
    assert seconds["commit"] >= 3 * 0.05
    assert seconds["statements"] < 3 * 0.05
