"""The Temporal server is killed (SIGKILL) while deliveries keep arriving, and restarted
after a pause: every delivery acknowledged during the outage is processed, exactly once."""

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlalchemy import func, select
from temporalio.client import Client

from mootaflow.domain.settings import Settings
from mootaflow.store.databases import Databases
from mootaflow.store.db import Sessions
from mootaflow.store.tables import Invoice
from mootaflow.temporal.client import DATA_CONVERTER
from mootaflow.temporal.devserver import dev_server_command
from mootaflow.temporal.worker import build_worker
from tests.support.flows import create_order, transfer
from tests.support.moota import body_of, post_signed
from tests.support.processes import free_port
from tests.support.servers import running_receiver
from tests.support.temporal import count_runs, settled


@asynccontextmanager
async def temporal_server(folder: Path, port: int) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        *dev_server_command(folder / "temporal.db", port=port, ui_port=None),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(60):
            while True:
                try:
                    await Client.connect(f"127.0.0.1:{port}")
                    break
                except RuntimeError:
                    await asyncio.sleep(0.3)
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_deliveries_during_a_temporal_outage_are_processed_once(
    settings: Settings, sessions: Sessions, tmp_path: Path, databases: Databases
) -> None:
    port = free_port()
    own = settings.model_copy(update={"temporal_address": f"127.0.0.1:{port}"})
    batches = 3
    async with running_receiver(own) as receiver:
        orders = [await create_order(receiver, amount=200000 + n * 1000) for n in range(9)]
        items = [transfer(order) for order in orders]
        chunks = [items[n::batches] for n in range(batches)]

        async with temporal_server(tmp_path, port) as first:
            assert (await post_signed(receiver.http, body_of(*chunks[0]))).status_code == 200
            first.send_signal(signal.SIGKILL)
            await first.wait()

        # Temporal is gone: deliveries are still acknowledged at once.
        for chunk in chunks[1:]:
            response = await asyncio.wait_for(post_signed(receiver.http, body_of(*chunk)), 5)
            assert response.status_code == 200
        await asyncio.sleep(2)

        async with temporal_server(tmp_path, port):
            client = await Client.connect(own.temporal_address, data_converter=DATA_CONVERTER)
            async with httpx.AsyncClient() as http, build_worker(client, own, databases, http):
                for item in items:
                    workflow_id = f"moota-mutation-{item['mutation_id']}"
                    state = await settled(client, workflow_id, timeout=90)
                    assert state.status == "paid"
                    assert await count_runs(client, workflow_id) == 1

    async with sessions.begin() as session:
        invoices = (await session.execute(select(func.count()).select_from(Invoice))).scalar_one()
    assert invoices == len(items)
