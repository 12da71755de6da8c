"""The database busy past its lock timeout: the API answers 503 with Retry-After and
a short cause, never a 500, and works again once the lock is gone."""

import sqlite3
from collections.abc import AsyncIterator

import pytest

from mootaflow.domain.settings import Settings
from tests.conftest import POSTGRES_URL
from tests.support.flows import API
from tests.support.servers import RunningReceiver, running_receiver

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_URL), reason="holds SQLite's one write lock from outside the receiver"
)

ORDER = {"account_number": "1234567890", "amount": 150000, "customer_email": "budi@toko.test"}


@pytest.fixture
async def receiver(settings: Settings) -> AsyncIterator[RunningReceiver]:
    quick = settings.model_copy(update={"database_pool_timeout_seconds": 0.3})
    async with running_receiver(quick) as running:
        yield running


async def test_a_locked_database_answers_503_then_the_api_works_again(
    receiver: RunningReceiver, settings: Settings
) -> None:
    path = settings.database_url.removeprefix("sqlite+aiosqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        response = await receiver.http.post("/api/orders", json=ORDER, headers=API)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "5"
    body = response.json()
    assert body["error"] == "database_unavailable"
    assert body["detail"] == "database unavailable: OperationalError: database is locked"
    assert (await receiver.http.post("/api/orders", json=ORDER, headers=API)).status_code == 201
