"""`mootaflow dev --fake-moota`: the whole loop locally, from a transfer made in the fake
Moota to a paid order, with the worker and receiver pointed at the fake's API."""

import asyncio
import contextlib
import json
import signal
from pathlib import Path

import httpx
from temporalio.client import Client

from mootaflow.domain.settings import DEV_API_KEY
from mootaflow.fakemoota import DEFAULT_TOKEN
from mootaflow.mootaapi import MootaClient
from mootaflow.temporal.client import DATA_CONVERTER
from tests.support.processes import (
    MOOTAFLOW,
    clean_env,
    free_port,
    kill_group,
    read_to_end,
    run_mootaflow,
)
from tests.support.temporal import settled


async def test_dev_with_a_fake_moota_pays_an_order_from_a_dummy_mutation(tmp_path: Path) -> None:
    port, temporal_port, ui_port, fake_port = (free_port() for _ in range(4))
    process = await asyncio.create_subprocess_exec(
        *MOOTAFLOW,
        "dev",
        "--port",
        str(port),
        "--temporal-port",
        str(temporal_port),
        "--ui-port",
        str(ui_port),
        "--fake-moota",
        "--fake-moota-port",
        str(fake_port),
        cwd=tmp_path,
        env=clean_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        # Its own process group, killed whole if it does not stop (see the end).
        start_new_session=True,
    )
    env = clean_env(MOOTAFLOW_RECEIVER_PORT=str(port))
    fake_url = f"http://127.0.0.1:{fake_port}"
    try:
        async with httpx.AsyncClient() as http, asyncio.timeout(90):
            while True:
                assert process.returncode is None, "mootaflow dev exited during start-up"
                with contextlib.suppress(httpx.TransportError):
                    ready = await http.get(f"http://127.0.0.1:{port}/readyz")
                    fake = await http.get(f"{fake_url}/_fake/state")
                    if ready.status_code == 200 and fake.status_code == 200:
                        break
                await asyncio.sleep(0.5)

        created = await run_mootaflow(
            "orders",
            "create",
            "--account",
            # The BCA account: the fake dates its transfers the day only, as BCA does.
            "1234567890",
            "--amount",
            "150000",
            "--json",
            env=env,
            cwd=tmp_path,
        )
        assert created.code == 0, created.stderr
        order = json.loads(created.stdout)

        # The customer pays; Moota (the fake) records the transfer and pushes the webhook.
        async with MootaClient(DEFAULT_TOKEN, base_url=f"{fake_url}/api/v2") as moota:
            bca = next(b for b in await moota.list_banks() if b.account_number == "1234567890")
            await moota.create_dummy_mutation(bca.bank_id, amount=order["amount"])
            [item] = (await moota.list_mutations(bank_id=bca.bank_id)).accepted
        assert item.mutation.date_only

        client = await Client.connect(f"127.0.0.1:{temporal_port}", data_converter=DATA_CONVERTER)
        state = await settled(client, item.mutation.workflow_id, timeout=60)
        assert (state.status, state.order_ref) == ("paid", order["ref"]), state

        # The worker got the fake's URL and token: reconciliation is scheduled.
        schedule = await client.get_schedule_handle("mootaflow-reconcile").describe()
        assert schedule.schedule.spec.intervals[0].every.total_seconds() == 15 * 60

        # The whole loop: a lost webhook, found by the customer's "I have paid" check.
        async with httpx.AsyncClient() as http:
            dropped = await http.post(f"{fake_url}/_fake/webhook", json={"drop_share": 1})
            assert dropped.status_code == 200, dropped.text
            created = await run_mootaflow(
                "orders",
                "create",
                "--account",
                "1234567890",
                "--amount",
                "99000",
                "--json",
                env=env,
                cwd=tmp_path,
            )
            second = json.loads(created.stdout)
            async with MootaClient(DEFAULT_TOKEN, base_url=f"{fake_url}/api/v2") as moota:
                await moota.create_dummy_mutation(bca.bank_id, amount=second["amount"])
            receiver = f"http://127.0.0.1:{port}"
            key = {"Authorization": f"Bearer {DEV_API_KEY}"}
            check = await http.post(f"{receiver}/api/orders/{second['ref']}/check", headers=key)
            assert check.status_code == 202, check.text
            async with asyncio.timeout(60):
                while True:
                    shown = await http.get(f"{receiver}/api/orders/{second['ref']}", headers=key)
                    if shown.json()["status"] == "paid":
                        break
                    await asyncio.sleep(0.5)
            assert shown.json()["payment"]["source"] == "reconcile"
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        assert process.stdout is not None
        try:
            output = await read_to_end(process.stdout, 60)
            code = await asyncio.wait_for(process.wait(), 60)
        except BaseException:
            # A stack that did not stop leaves none of its children running.
            kill_group(process)
            raise
    assert code == 0, output
    assert "Traceback" not in output
    assert f"fake Moota      {fake_url}/api/v2  (token {DEFAULT_TOKEN}" in output
    # The fake ran as a child of the dev stack, with its own log under var/.
    assert "fake Moota is running" in (tmp_path / "var" / "fake-moota.log").read_text()
