"""`mootaflow dev` from a clean folder, as a new user runs it, then `mootaflow simulate`."""

import asyncio
import contextlib
import json
import os
import signal
from pathlib import Path

import httpx
from bench.stack import child_pids, command_line
from temporalio.client import Client

from mootaflow.cli.dev import BACKGROUND_NICE
from mootaflow.processes import DEV_WORKERS
from mootaflow.temporal.client import DATA_CONVERTER
from mootaflow.workflows import search_attributes as sa
from mootaflow.workflows.payment_types import PaymentState
from tests.support.processes import (
    MOOTAFLOW,
    clean_env,
    free_port,
    kill_group,
    read_to_end,
    run_mootaflow,
)
from tests.support.temporal import wait_for_workflow


class DevStack:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port, self.temporal_port, self.ui_port = free_port(), free_port(), free_port()
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *MOOTAFLOW,
            "dev",
            "--port",
            str(self.port),
            "--temporal-port",
            str(self.temporal_port),
            "--ui-port",
            str(self.ui_port),
            cwd=self.folder,
            env=clean_env(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            # Its own process group: a failed test kills dev's children too, or they
            # hold its output pipe open and the test hangs instead of failing.
            start_new_session=True,
            # As a script's background job starts it: Ctrl-C (SIGINT) must still stop it.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
        async with httpx.AsyncClient() as http, asyncio.timeout(90):
            while True:
                assert self.process.returncode is None, "mootaflow dev exited during start-up"
                with contextlib.suppress(httpx.TransportError):
                    ready = await http.get(f"http://127.0.0.1:{self.port}/readyz")
                    if ready.status_code == 200:
                        return
                await asyncio.sleep(0.5)

    async def interrupt(self) -> tuple[int, str]:
        """Ctrl-C, as a user would; returns the exit code and everything printed."""
        assert self.process is not None and self.process.stdout is not None
        self.process.send_signal(signal.SIGINT)
        output = await read_to_end(self.process.stdout, 60)
        code = await asyncio.wait_for(self.process.wait(), 60)
        return code, output

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            kill_group(self.process)
            await self.process.wait()


def thread_niceness(pid: int) -> list[int]:
    """The nice value of each thread of `pid` (Linux: niceness is per thread)."""
    return [
        int((task / "stat").read_text().rpartition(")")[2].split()[16])
        for task in Path(f"/proc/{pid}/task").iterdir()
    ]


async def test_dev_runs_everything_an_order_gets_paid_and_data_survives(
    tmp_path: Path,
) -> None:
    stack = DevStack(tmp_path)
    env = clean_env(MOOTAFLOW_RECEIVER_PORT=str(stack.port))
    try:
        await stack.start()
        # Everything on one machine: the workers yield the CPU to the receiver (once
        # they have read their settings, which may be after the receiver is ready).
        assert stack.process is not None
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        async with asyncio.timeout(30):
            while True:
                # By the last word of each child's command: worker (two), receiver, ...
                children = [(command_line(pid).split()[-1], os.getpriority(os.PRIO_PROCESS, pid))
                            for pid in child_pids(stack.process.pid)]  # fmt: skip
                workers = [nice for name, nice in children if name == "worker"]
                if len(workers) == DEV_WORKERS and mine not in workers:
                    break
                await asyncio.sleep(0.2)
        background = min(mine + BACKGROUND_NICE, 19)
        assert workers == [background] * DEV_WORKERS, children
        niceness = dict(children)
        assert niceness["receiver"] == mine, niceness
        # The Temporal dev server too, every thread of it (set before it started).
        [temporal] = [p for p in child_pids(stack.process.pid) if "start-dev" in command_line(p)]
        assert set(thread_niceness(temporal)) == {background}
        created = await run_mootaflow(
            "orders",
            "create",
            "--account",
            "5551234",
            "--amount",
            "150000",
            "--email",
            "budi@example.com",
            "--json",
            env=env,
            cwd=tmp_path,
        )
        assert created.code == 0, created.stderr
        order = json.loads(created.stdout)
        assert 150001 <= order["amount"] <= 150999

        result = await run_mootaflow(
            "simulate",
            "--amount",
            str(order["amount"]),
            "--account",
            "5551234",
            env=env,
            cwd=tmp_path,
        )
        assert result.code == 0, result.stdout + result.stderr
        lines = result.stdout.splitlines()
        workflow_id = next(line.split(": ")[1] for line in lines if line.startswith("workflow"))

        client = await Client.connect(
            f"127.0.0.1:{stack.temporal_port}", data_converter=DATA_CONVERTER
        )
        await wait_for_workflow(client, workflow_id, timeout=30)
        handle = client.get_workflow_handle(workflow_id, result_type=PaymentState)
        state = await asyncio.wait_for(handle.result(), 60)
        assert (state.status, state.order_ref) == ("paid", order["ref"])
        assert state.notifications == {
            "customer_email": "sent",
            "merchant_callback": "skipped",
            "moota_write_back": "off",  # no Moota token in dev without --fake-moota
        }
        attributes = (await handle.describe()).typed_search_attributes
        assert attributes.get(sa.MOOTA_ACCOUNT) == "5551234"
        assert attributes.get(sa.AMOUNT_IDR) == order["amount"]
        assert attributes.get(sa.PAYMENT_STATUS) == "paid"
        assert attributes.get(sa.ORDER_REF) == order["ref"]

        # The customer's email, with the invoice, is in the dev outbox.
        [eml] = (tmp_path / "var" / "outbox").glob("*.eml")
        assert eml.name == f"{state.invoice_number}.eml"
        assert "budi@example.com" in eml.read_text()

        # The Web UI is up and its API shows the workflow with the search attributes.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.ui_port}") as ui:
            assert (await ui.get("/")).status_code == 200
            listed = await ui.get(
                "/api/v1/namespaces/default/workflows",
                params={"query": 'MootaAccount="5551234" AND PaymentStatus="paid"'},
            )
            assert listed.status_code == 200
            assert workflow_id in listed.text

        code, output = await stack.interrupt()
        assert code == 0, output
        assert "Traceback" not in output
        assert "webhook secret  mootaflow-dev-secret" in output
        assert f"workers         {DEV_WORKERS} (--workers)" in output
        assert "emails are written to var/outbox/" in output

        # A second run finds the earlier payment, in Temporal and in the database.
        stack = DevStack(tmp_path)
        await stack.start()
        client = await Client.connect(
            f"127.0.0.1:{stack.temporal_port}", data_converter=DATA_CONVERTER
        )
        again = client.get_workflow_handle(workflow_id, result_type=PaymentState)
        assert (await again.result()).status == "paid"
        shown = await run_mootaflow("orders", "show", order["ref"], env=env, cwd=tmp_path)
        assert shown.code == 0
        assert f"Order {order['ref']} (paid)" in shown.stdout
        code, output = await stack.interrupt()
        assert code == 0, output
    finally:
        await stack.kill()
