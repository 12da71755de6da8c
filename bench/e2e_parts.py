"""What bench/e2e.py's paid and flagged paths share: orders in the stack's database,
Moota-shaped transfers sent open-loop, waiting with a stall limit, the no-op baseline's
worker, and the throughput figures."""

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from temporalio.client import Client

from bench.loadclient import LoadClient
from bench.loadgen import Figures, open_loop, report
from bench.payloads import ACCOUNT
from bench.probe import cpu_seconds
from bench.stack import Stack, spawn
from mootaflow.domain.orders import NewOrder
from mootaflow.domain.settings import DEV_WEBHOOK_SECRET
from mootaflow.domain.signature import sign
from mootaflow.store.db import open_database, session_factory
from mootaflow.store.orders import CodeRange, create_order
from mootaflow.temporal.client import DATA_CONVERTER

REPO = Path(__file__).resolve().parent.parent
# No progress for this long means something is stuck: give up instead of hanging.
STALL_S = 120.0


@dataclass(frozen=True)
class BenchOrder:
    ref: str
    amount: Decimal
    email: str


async def create_orders(database_url: str, count: int, who: str) -> list[BenchOrder]:
    """`count` open orders whose amounts (base + unique code) are all different: bases
    1000 apart and codes below 1000, so each transfer matches exactly one order. Order
    i's customer is `{who}{i}@example.com` (the SMTP sink tells the runs apart by it)."""
    orders = []
    async with open_database(database_url) as engine:
        sessions = session_factory(engine)
        for i in range(count):
            email = f"{who}{i}@example.com"
            request = NewOrder(
                account_number=ACCOUNT,
                amount=Decimal(100_000 + 1000 * i),
                customer_name=f"Bench Customer {i}",
                customer_email=email,
            )
            async with sessions.begin() as session:
                order, _ = await create_order(
                    session,
                    request,
                    codes=CodeRange(1, 999),
                    default_expiry=timedelta(days=1),
                    now=datetime.now(UTC),
                )
            orders.append(BenchOrder(order.ref, order.amount, email))
    return orders


def signed(body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", "Signature": sign(body, DEV_WEBHOOK_SECRET)}


async def send_webhooks(
    url: str, name: str, bodies: list[bytes], rate: float
) -> tuple[float, Figures]:
    """POST the signed deliveries at `rate` (open loop); the time.time() of the first
    send and the acknowledgement figures."""
    client = LoadClient(url)
    requests = [client.request(body, signed(body)) for body in bodies]
    first: list[float] = []

    async def call(i: int) -> bool:
        if i == 0:
            first.append(time.time())
        status, _ = await client.send(requests[i])
        return status == 200

    try:
        acks = await open_loop(name, rate, len(bodies) / rate, call)
    finally:
        await client.close()
    report([acks])
    return first[0], acks


async def wait_for(what: str, count: int, done: Callable[[], Awaitable[int]]) -> int:
    """Poll `done()` until it reaches `count` or stops moving for STALL_S; prints progress."""
    last, moved, shown = -1, time.monotonic(), time.monotonic()
    while True:
        now_done = await done()
        if now_done >= count:
            return now_done
        if now_done != last:
            last, moved = now_done, time.monotonic()
        elif time.monotonic() - moved > STALL_S:
            print(f"  {what}: stalled at {now_done}/{count}", flush=True)
            return now_done
        if time.monotonic() - shown > 5:
            shown = time.monotonic()
            print(f"  {what}: {now_done}/{count}", flush=True)
        await asyncio.sleep(0.5)


def throughput(count: int, completed: int, first: float, last: float) -> dict[str, Any]:
    """Completions per second from the first send to the last completion."""
    seconds = last - first
    return {
        "count": count,
        "completed": completed,
        "seconds": round(seconds, 2),
        "per_second": round(completed / seconds, 2) if seconds > 0 else None,
    }


class CpuMeter:
    """Each stack process's CPU from now on, and this one's ("bench": the load generator
    and the SMTP sink), per item done: steadier than items/s on a shared machine, since
    it does not count time spent waiting."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = {**pids, "bench": os.getpid()}
        self._before = {name: cpu_seconds(pid) for name, pid in self._pids.items()}
        self._began = time.monotonic()

    def per_item_ms(self, done: int) -> dict[str, float]:
        return {
            name: round(1000 * (cpu_seconds(pid) - self._before[name]) / max(done, 1), 1)
            for name, pid in self._pids.items()
        }

    def cores(self) -> float:
        """The CPU so far of all these processes, in cores: near the machine's count, the
        run was bound by CPU, not by any one process."""
        used = sum(cpu_seconds(pid) - self._before[name] for name, pid in self._pids.items())
        return round(used / max(time.monotonic() - self._began, 1e-9), 2)

    def summary(self, done: int, item: str) -> dict[str, Any]:
        """Both figures, printed, as a result's fields (`cpu_ms_per_<item>`, `cores_used`)."""
        used, cores = self.per_item_ms(done), self.cores()
        print(f"  CPU per {item} (ms): {used}; {cores} cores in all", flush=True)
        return {f"cpu_ms_per_{item}": used, "cores_used": cores}


def ratio(ours: float | None, baseline: float | None) -> float | None:
    """ours / baseline, or None when either is missing or zero."""
    return round(ours / baseline, 3) if ours and baseline else None


@dataclass
class Baseline:
    """The no-op worker's task queue and a client of the same Temporal server."""

    client: Client
    queue: str
    # The stack's processes (Temporal and the no-op worker do the baseline's work).
    pids: dict[str, int]

    def query(self, workflow_type: str, condition: str) -> str:
        return f"TaskQueue='{self.queue}' AND WorkflowType='{workflow_type}' AND {condition}"

    async def count(self, query: str) -> int:
        return (await self.client.count_workflows(query)).count

    async def last_close(self, query: str, default: float) -> float:
        closes = [w.close_time async for w in self.client.list_workflows(query)]
        return max((c.timestamp() for c in closes if c is not None), default=default)


async def start_baseline(stack: Stack, queue: str) -> Baseline:
    """The no-op worker (bench/noop_worker.py) as a child of the stack, polling `queue`."""
    log = stack.workdir / "noop-worker.log"
    # Spelled out: `mootaflow dev` sets these for its own children only.
    env = {
        **stack.env,
        "PYTHONPATH": str(REPO),
        "MOOTAFLOW_TEMPORAL_ADDRESS": stack.temporal_address,
        "MOOTAFLOW_DATABASE_URL": stack.database_url,
    }
    stack.children["noop-worker"] = spawn(
        [sys.executable, "-m", "bench.noop_worker", queue], env, log
    )
    while "polling" not in log.read_text(errors="replace"):
        stack.check_alive()
        await asyncio.sleep(0.2)
    client = await Client.connect(stack.temporal_address, data_converter=DATA_CONVERTER)
    return Baseline(client, queue, stack.pids)
