"""A receiver killed (SIGKILL) after committing a delivery and before starting its
workflows: the next receiver's redrive loop starts them. Nothing acknowledged is lost."""

import asyncio
import signal

import httpx
from temporalio.client import Client

from mootaflow.domain.settings import Settings
from tests.conftest import TEST_SECRET
from tests.support.moota import body_of, mutation, post_signed
from tests.support.processes import MOOTAFLOW, clean_env, free_port
from tests.support.servers import running_receiver
from tests.support.temporal import wait_for_workflow


async def test_receiver_killed_between_commit_and_start(settings: Settings, client: Client) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *MOOTAFLOW,
        "receiver",
        "--port",
        str(port),
        env=clean_env(
            MOOTAFLOW_WEBHOOK_SECRETS=TEST_SECRET,
            MOOTAFLOW_FINANCE_TOKENS="ops:a-long-finance-token",
            MOOTAFLOW_DATABASE_URL=settings.database_url,
            # Nothing listens here: the start cannot happen before the kill.
            MOOTAFLOW_TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
        ),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    items = [mutation(), mutation()]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            async with asyncio.timeout(30):
                while True:
                    try:
                        await http.get("/healthz")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.2)
            response = await post_signed(http, body_of(*items))
            assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()

    async with running_receiver(settings):
        for item in items:
            await wait_for_workflow(client, f"moota-mutation-{item['mutation_id']}", timeout=30)
