"""Connecting to Temporal, with the one data converter every client and worker uses."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from temporalio.client import Client
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import CompositePayloadConverter, DataConverter
from temporalio.runtime import Runtime

from mootaflow.domain.settings import Settings

log = logging.getLogger("mootaflow.temporal")

# The worker makes a new payload converter for every workflow activation (several,
# sdk-python's _CommandAwareDataConverter): each would build its own pydantic
# serializer and its own TypeAdapter cache (sdk-python#1695, #1703), rebuilding an
# adapter (milliseconds of CPU) for each payload of each run. So every instance holds
# the same converters, built once: one cache for the process, and an instance costs
# a dict of five entries. (Converters are stateless apart from that cache.)
_CONVERTERS = list(PydanticPayloadConverter().converters.values())


class PayloadConverter(CompositePayloadConverter):
    """Pydantic JSON (the default converter cannot serialise Decimal), built once."""

    def __init__(self) -> None:
        super().__init__(*_CONVERTERS)


DATA_CONVERTER = DataConverter(payload_converter_class=PayloadConverter)


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    """A client; `runtime` carries the worker's metrics exporter when it has one."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=DATA_CONVERTER,
        runtime=runtime,
    )


async def connect_with_retry(
    settings: Settings, stop: asyncio.Event, runtime: Runtime | None = None
) -> Client | None:
    """Wait for Temporal to answer (it may still be starting); None if asked to stop."""
    delay = 0.5
    while not stop.is_set():
        try:
            return await connect(settings, runtime)
        except Exception as exc:
            log.warning(
                "Temporal not reachable yet, retrying",
                extra={"address": settings.temporal_address, "error": str(exc)[:200]},
            )
        try:
            await asyncio.wait_for(stop.wait(), delay)
        except TimeoutError:
            delay = min(delay * 2, 10.0)
    return None


HEALTH_TIMEOUT = 2.0


class LazyClient:
    """The receiver's Temporal client, connected on first use: Temporal may be down
    when the receiver boots, and acknowledging webhooks must not wait for it."""

    def __init__(self, connect: Callable[[], Awaitable[Client]]) -> None:
        self._connect = connect
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Client:
        async with self._lock:
            if self._client is None:
                self._client = await self._connect()
            return self._client

    async def answers(self) -> bool:
        """True when Temporal answers a health check within HEALTH_TIMEOUT seconds."""
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                client = await self.get()
                await client.service_client.check_health()
        except asyncio.CancelledError:
            raise
        except Exception:
            return False
        return True
