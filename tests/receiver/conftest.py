from collections.abc import AsyncIterator

import pytest

from mootaflow.domain.settings import Settings
from tests.support.servers import RunningReceiver, running_receiver


@pytest.fixture
async def receiver(settings: Settings) -> AsyncIterator[RunningReceiver]:
    async with running_receiver(settings) as running:
        yield running
