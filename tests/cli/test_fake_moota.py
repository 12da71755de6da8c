"""`mootaflow fake-moota` as a user runs it: a separate process, driven over HTTP."""

import asyncio
import contextlib
import signal

import httpx

from mootaflow.fakemoota import DEFAULT_TOKEN
from mootaflow.mootaapi import MootaClient
from tests.conftest import TEST_SECRET
from tests.support.processes import MOOTAFLOW, clean_env, free_port, run_mootaflow
from tests.support.servers import RunningReceiver


async def test_help_describes_the_options() -> None:
    result = await run_mootaflow("fake-moota", "--help")
    assert result.code == 0
    for option in ("--port", "--webhook-url", "--secret", "--token", "--bank", "--drop-share"):
        assert option in result.stdout
    assert DEFAULT_TOKEN in result.stdout.replace("\n", "").replace(" ", "")
    bad = await run_mootaflow("fake-moota", "--bank", "bca")
    assert bad.code == 2 and "TYPE:ACCOUNT" in bad.stderr
    bad = await run_mootaflow("fake-moota", "--drop-share", "1.5")
    assert bad.code == 2 and "0 to 1" in bad.stderr


async def test_the_standalone_fake_serves_the_api_and_pushes_to_a_receiver(
    receiver: RunningReceiver,
) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *MOOTAFLOW,
        "fake-moota",
        "--port",
        str(port),
        "--webhook-url",
        receiver.webhook_url,
        "--secret",
        TEST_SECRET,
        "--bank",
        "bca:5551234:BCA Toko",
        env=clean_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as http, asyncio.timeout(30):
            while True:
                assert process.returncode is None, "fake-moota exited during start-up"
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/_fake/state")).status_code == 200:
                        break
                await asyncio.sleep(0.2)

            async with MootaClient(DEFAULT_TOKEN, base_url=f"{base}/api/v2") as client:
                [bank] = await client.list_banks()
                assert (bank.bank_type, bank.account_number, bank.label) == (
                    "bca",
                    "5551234",
                    "BCA Toko",
                )
                await client.create_dummy_mutation(bank.bank_id, amount=150_123)
            settled = (await http.post("/_fake/settle")).json()
            assert (settled["deliveries"], settled["delivered"]) == (1, 1)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        assert process.stdout is not None
        output = (await asyncio.wait_for(process.stdout.read(), 30)).decode()
        code = await asyncio.wait_for(process.wait(), 30)
    assert code == 0, output
    assert "Traceback" not in output
    assert "fake Moota is running" in output
    assert f"{base}/api/v2" in output and DEFAULT_TOKEN in output
    assert TEST_SECRET not in output
