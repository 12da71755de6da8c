"""Connecting to Temporal, with the one data converter every client and worker uses."""

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from mootaflow.domain.settings import Settings

# The default converter cannot serialise Decimal; use this one everywhere.
DATA_CONVERTER = pydantic_data_converter


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=DATA_CONVERTER,
    )
