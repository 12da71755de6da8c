"""The acknowledgement never waits for a worker's write lock (SQLite: one lock per file)."""

import asyncio
import time

import pytest
from sqlalchemy import text

from mootaflow.domain.settings import Settings
from mootaflow.store.db import Sessions
from tests.conftest import POSTGRES_URL
from tests.support.moota import body_of, mutation, post_signed
from tests.support.servers import running_receiver

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_URL), reason="PostgreSQL locks rows, not the database: one database there"
)


async def ack_while_the_main_file_is_locked(settings: Settings, sessions: Sessions) -> float:
    """Seconds the receiver took to acknowledge while a worker-like transaction holds
    the main file's write lock for 2 s."""
    async with running_receiver(settings) as receiver:
        async with sessions.begin() as worker:
            # What a worker step does: BEGIN IMMEDIATE and a write, lock held meanwhile.
            await worker.execute(text("UPDATE merchant_order SET status = status WHERE 1 = 0"))
            began = time.perf_counter()
            post = asyncio.create_task(post_signed(receiver.http, body_of(mutation())))
            done, _ = await asyncio.wait([post], timeout=2)
        response = await post
        assert response.status_code == 200, response.text
        return time.perf_counter() - began if done else float("inf")


async def test_the_ack_does_not_wait_for_the_main_files_write_lock(
    settings: Settings, sessions: Sessions
) -> None:
    assert settings.receiving_database_url != settings.database_url
    assert await ack_while_the_main_file_is_locked(settings, sessions) < 1.0


async def test_in_one_file_the_same_ack_waits_for_the_lock(
    settings: Settings, sessions: Sessions
) -> None:
    """The contrast that shows the test above can fail: the pre-split layout."""
    one_file = settings.model_copy(update={"inbox_database_url": settings.database_url})
    assert await ack_while_the_main_file_is_locked(one_file, sessions) == float("inf")
