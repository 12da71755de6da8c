"""Connecting to Temporal, with the one data converter every client and worker uses."""

import functools

from pydantic import TypeAdapter
from temporalio.client import Client
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter, PydanticPayloadConverter
from temporalio.converter import DataConverter
from temporalio.runtime import Runtime

from mootaflow.domain.settings import Settings

# One cache for the whole process. The worker makes a new payload converter for
# every workflow run, so a per-converter cache would rebuild a pydantic TypeAdapter
# (milliseconds of CPU) for each payload of each run.
_type_adapter = functools.lru_cache(maxsize=256)(TypeAdapter)


class PayloadConverter(PydanticPayloadConverter):
    """Pydantic JSON (the default converter cannot serialise Decimal), cache shared."""

    def __init__(self) -> None:
        super().__init__()
        for converter in self.converters.values():
            if isinstance(converter, PydanticJSONPlainPayloadConverter):
                converter._type_adapter = _type_adapter  # the SDK's own cache slot


DATA_CONVERTER = DataConverter(payload_converter_class=PayloadConverter)


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    """A client; `runtime` carries the worker's metrics exporter when it has one."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=DATA_CONVERTER,
        runtime=runtime,
    )
