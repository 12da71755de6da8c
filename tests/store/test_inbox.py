"""The inbox SQL on a real SQLite file: insert-or-ignore, big deliveries, pending rows."""

import hashlib
from datetime import UTC, datetime

from mootaflow.domain.moota import load_delivery, parse_delivery
from mootaflow.store import inbox
from mootaflow.store.db import Sessions
from mootaflow.store.one_call import in_session
from tests.support.moota import body_of, mutation


def facts(body: bytes) -> inbox.RequestFacts:
    return inbox.RequestFacts(
        received_at=datetime.now(UTC),
        source_ip="127.0.0.1",
        headers={"content-type": "application/json"},
        body_bytes=len(body),
        body_sha256=hashlib.sha256(body).hexdigest(),
    )


async def test_large_delivery_is_stored_in_chunks_and_deduplicated(sessions: Sessions) -> None:
    # More rows than one statement may carry, to exercise the chunking.
    items = [mutation() for _ in range(1200)]
    body = body_of(*items)
    loaded = load_delivery(body)
    async with sessions.begin() as session:
        [first] = await in_session(
            session,
            inbox.save_accepted,
            [inbox.Incoming(facts(body), parse_delivery(loaded), loaded)],
        )
    assert (len(first.new), first.duplicates) == (1200, 0)

    overlapping = [*items[:600], *(mutation() for _ in range(10))]
    body = body_of(*overlapping)
    loaded = load_delivery(body)
    async with sessions.begin() as session:
        [second] = await in_session(
            session,
            inbox.save_accepted,
            [inbox.Incoming(facts(body), parse_delivery(loaded), loaded)],
        )
        assert (len(second.new), second.duplicates) == (10, 600)
        assert await inbox.count_pending(session) == 1210


async def test_pending_rows_come_back_as_mutations_and_leave_once_started(
    sessions: Sessions,
) -> None:
    items = [mutation(amount="100123.50"), mutation()]
    body = body_of(*items)
    loaded = load_delivery(body)
    parsed = parse_delivery(loaded)
    async with sessions.begin() as session:
        await in_session(
            session, inbox.save_accepted, [inbox.Incoming(facts(body), parsed, loaded)]
        )
        pending = await inbox.pending_mutations(session, limit=10)
    assert sorted(pending, key=lambda m: m.mutation_id) == sorted(
        (a.mutation for a in parsed.accepted), key=lambda m: m.mutation_id
    )
    async with sessions.begin() as session:
        await in_session(
            session, inbox.mark_start_failed, items[0]["mutation_id"], "RuntimeError: down"
        )
        await in_session(session, inbox.mark_started, [items[1]["mutation_id"]], datetime.now(UTC))
        remaining = await inbox.pending_mutations(session, limit=10)
        failed = await inbox.get_inbox_row(session, items[0]["mutation_id"])
    assert [m.mutation_id for m in remaining] == [items[0]["mutation_id"]]
    assert failed is not None
    assert (failed.start_attempts, failed.last_error) == (1, "RuntimeError: down")
