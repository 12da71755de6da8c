"""The fake Moota on a real uvicorn server on a free loopback port, and a client for it."""

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from mootaflow.fakemoota import FakeMoota, create_app
from mootaflow.mootaapi import MootaClient, RetryPolicy
from tests.conftest import TEST_SECRET
from tests.support.servers import serve

# Fast retries, so tests of the retry logic take fractions of a second.
FAST_RETRIES = RetryPolicy(attempts=4, initial_delay=0.05, max_delay=0.2, max_retry_after=5)


@dataclass
class RunningFakeMoota:
    url: str
    fake: FakeMoota

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v2"

    @property
    def token(self) -> str:
        return next(iter(self.fake.tokens))

    def client(self, **options: Any) -> MootaClient:
        """A MootaClient for this fake (the caller closes it: `async with`)."""
        options.setdefault("retry", FAST_RETRIES)
        return MootaClient(self.token, base_url=self.api_url, **options)


# Each fake its own seed: with one seed every fake would hand out the same mutation
# ids, so tests would share workflow ids `moota-mutation-<id>` on the session's
# Temporal server, where an earlier test's run makes a later start a no-op.
_SEEDS = itertools.count(1)


@asynccontextmanager
async def running_fake_moota(fake: FakeMoota | None = None) -> AsyncIterator[RunningFakeMoota]:
    fake = fake or FakeMoota.create(webhook_secret=TEST_SECRET, seed=next(_SEEDS))
    # Re-sends after a failed push come quickly in tests (Moota waits longer).
    fake.webhooks.retry_delay = 0.05
    async with serve(create_app(fake)) as url:
        yield RunningFakeMoota(url=url, fake=fake)


@pytest.fixture
async def fake_moota() -> AsyncIterator[RunningFakeMoota]:
    """A fresh fake Moota; its webhook secret is the receiver fixture's TEST_SECRET."""
    async with running_fake_moota() as running:
        yield running
