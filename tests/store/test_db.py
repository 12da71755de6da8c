"""Engine behaviour the hot path relies on, on the real database."""

import asyncio

from sqlalchemy import text

from mootaflow.store import inbox
from mootaflow.store.db import Sessions, reading


async def test_reads_marked_read_only_do_not_wait_for_a_writer(sessions: Sessions) -> None:
    async with sessions.begin() as writer:
        # A write transaction holds the lock (on SQLite: the database's one write lock).
        await writer.execute(text("UPDATE inbox_mutation SET start_attempts = 0 WHERE 1 = 0"))
        async with reading(sessions) as reader:
            # Without the read-only mark this would wait for the writer (30 s on SQLite).
            assert await asyncio.wait_for(inbox.count_pending(reader), timeout=2) == 0
            assert await asyncio.wait_for(inbox.pending_mutations(reader, 10), timeout=2) == []
