"""`mootaflow setup`: prepare a deployment (database schema, Temporal namespace and
search attributes). Idempotent: run it on every deploy, before receivers and workers."""

import asyncio
import sys
import time
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client

from mootaflow.domain.settings import Settings
from mootaflow.store.databases import open_databases
from mootaflow.temporal.client import connect
from mootaflow.temporal.setup import SetupError, ensure_namespace, ensure_search_attributes

_CONNECT_TIMEOUT = 60.0


def run_setup(settings: Settings) -> int:
    try:
        asyncio.run(_setup(settings))
    except (SetupError, SQLAlchemyError, OSError, RuntimeError) as exc:
        print(f"error: setup failed: {exc}", file=sys.stderr)
        return 1
    print("setup complete")
    return 0


async def _setup(settings: Settings) -> None:
    async with open_databases(settings):
        print("database schema is up to date")

    client = await _connect(settings)
    namespace = settings.temporal_namespace
    retention = timedelta(days=settings.temporal_retention_days)
    print(await ensure_namespace(client, namespace, retention))
    added = await ensure_search_attributes(client, namespace)
    print(f"search attributes added: {', '.join(added)}" if added else "search attributes ok")


async def _connect(settings: Settings) -> Client:
    deadline = time.monotonic() + _CONNECT_TIMEOUT
    while True:
        try:
            return await connect(settings)
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            print(f"waiting for Temporal at {settings.temporal_address} ...", flush=True)
            await asyncio.sleep(2)
