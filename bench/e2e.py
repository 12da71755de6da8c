"""bench/e2e: payments fully processed per second, from the first webhook to the last
customer email received by a local SMTP sink, for N mutations each paying exactly one
pre-created order (match → mark paid → invoice PDF → email). Baseline in the same run,
on the same Temporal server: the same workflow shape with no-op activities
(bench/noop_workflow.py), N workflows started by a plain script at the same rate, on a
worker process built with the real worker's options; first start → last completion.

    .venv/bin/python -m bench.e2e --count 1000 --rate 100
"""

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from temporalio.client import Client

from bench.loadclient import LoadClient
from bench.loadgen import Figures, open_loop, report
from bench.noop_workflow import NoopPaymentWorkflow
from bench.probe import wait_quiet
from bench.results import write_result
from bench.smtp_sink import SmtpSink
from bench.stack import Stack, bench_stack, run_bench, spawn
from mootaflow.domain.moota import JAKARTA
from mootaflow.domain.orders import NewOrder
from mootaflow.domain.settings import DEV_WEBHOOK_SECRET
from mootaflow.domain.signature import sign
from mootaflow.store.db import open_database, session_factory
from mootaflow.store.orders import CodeRange, create_order
from mootaflow.temporal.client import DATA_CONVERTER

ACCOUNT = "9990001112"
REPO = Path(__file__).resolve().parent.parent
SECRET = DEV_WEBHOOK_SECRET
# No progress for this long means something is stuck: give up instead of hanging.
STALL_S = 120.0


async def create_orders(database_url: str, count: int) -> list[Decimal]:
    """`count` open orders whose amounts (base + unique code) are all different: bases
    1000 apart and codes below 1000, so each transfer matches exactly one order."""
    amounts = []
    async with open_database(database_url) as engine:
        sessions = session_factory(engine)
        for i in range(count):
            request = NewOrder(
                account_number=ACCOUNT,
                amount=Decimal(100_000 + 1000 * i),
                customer_name=f"Bench Customer {i}",
                customer_email=f"bench{i}@example.com",
            )
            async with sessions.begin() as session:
                order, _ = await create_order(
                    session,
                    request,
                    codes=CodeRange(1, 999),
                    default_expiry=timedelta(days=1),
                    now=datetime.now(UTC),
                )
            amounts.append(order.amount)
    return amounts


def payment_delivery(run: str, index: int, amount: Decimal) -> bytes:
    item = {
        "account_number": ACCOUNT,
        "date": datetime.now(JAKARTA).strftime("%Y-%m-%d %H:%M:%S"),
        "description": "TRSF E-BANKING CR BENCH",
        "note": "",
        "amount": int(amount),
        "type": "CR",
        "balance": 0,
        "mutation_id": f"e2e-{run}-{index}",
        "bank_id": "bench",
    }
    return json.dumps([item], separators=(",", ":")).encode()


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


async def run_mootaflow(
    stack: Stack, sink: SmtpSink, count: int, rate: float
) -> tuple[dict[str, Any], Figures]:
    print(f"creating {count} orders ...", flush=True)
    amounts = await create_orders(stack.database_url, count)
    run = uuid.uuid4().hex[:8]
    bodies = [payment_delivery(run, i, amount) for i, amount in enumerate(amounts)]
    first: list[float] = []
    received_before = sink.sink.count
    client = LoadClient(stack.webhook_url)
    requests = [
        client.request(body, {"Content-Type": "application/json", "Signature": sign(body, SECRET)})
        for body in bodies
    ]
    print(f"== mootaflow: {count} payments at {rate:g}/s", flush=True)

    async def call(i: int) -> bool:
        if i == 0:
            first.append(time.time())
        status, _ = await client.send(requests[i])
        return status == 200

    try:
        acks = await open_loop("mootaflow webhooks", rate, count / rate, call)
    finally:
        await client.close()
    report([acks])

    async def emails() -> int:
        return sink.sink.count - received_before

    received = await wait_for("customer emails", count, emails)
    last = max(sink.sink.arrivals, default=first[0])
    seconds = last - first[0]
    return {
        "count": count,
        "completed": received,
        "distinct_recipients": len(sink.sink.recipients),
        "seconds": round(seconds, 2),
        "per_second": round(received / seconds, 2) if seconds > 0 else None,
    }, acks


async def run_baseline(stack: Stack, count: int, rate: float) -> dict[str, Any]:
    queue = f"bench-noop-{uuid.uuid4().hex[:8]}"
    log = stack.workdir / "noop-worker.log"
    env = {**stack.env, "PYTHONPATH": str(REPO)}
    stack.children["noop-worker"] = spawn(
        [sys.executable, "-m", "bench.noop_worker", queue], env, log
    )
    while "polling" not in log.read_text(errors="replace"):
        stack.check_alive()
        await asyncio.sleep(0.2)
    client = await Client.connect(stack.temporal_address, data_converter=DATA_CONVERTER)
    first: list[float] = []
    print(f"== baseline: {count} no-op workflows at {rate:g}/s", flush=True)

    async def start(i: int) -> bool:
        if i == 0:
            first.append(time.time())
        await client.start_workflow(
            NoopPaymentWorkflow.run, f"noop-{i}", id=f"{queue}-{i}", task_queue=queue
        )
        return True

    starts = await open_loop("no-op workflow starts", rate, count / rate, start)
    report([starts])
    completed_query = f"TaskQueue='{queue}' AND ExecutionStatus='Completed'"

    async def completed() -> int:
        return (await client.count_workflows(completed_query)).count

    done = await wait_for("no-op workflows completed", count, completed)
    closes = [w.close_time async for w in client.list_workflows(completed_query)]
    last = max((c.timestamp() for c in closes if c is not None), default=first[0])
    seconds = last - first[0]
    return {
        "count": count,
        "completed": done,
        "seconds": round(seconds, 2),
        "per_second": round(done / seconds, 2) if seconds > 0 else None,
        "starts": asdict(starts),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="payments (default 1000)")
    parser.add_argument("--rate", type=float, default=100, help="webhooks per second")
    parser.add_argument("--out", type=Path, help="default bench/results/e2e.json")
    args = parser.parse_args()
    with SmtpSink() as sink:
        print("starting a bench stack (Temporal dev server, worker, receiver) ...", flush=True)
        async with bench_stack(smtp=(sink.host, sink.port)) as stack:
            print(f"stack up in {stack.workdir}; pids {stack.pids}", flush=True)
            ours, acks = await run_mootaflow(stack, sink, args.count, args.rate)
            print(
                f"mootaflow: {ours['completed']} payments in {ours['seconds']} s "
                f"= {ours['per_second']}/s",
                flush=True,
            )
            await wait_quiet(
                stack.database_url,
                list(stack.pids.values()),
                label=" (mootaflow)",
                check_alive=stack.check_alive,
            )
            baseline = await run_baseline(stack, args.count, args.rate)
    ratio = (
        round(ours["per_second"] / baseline["per_second"], 3)
        if ours["per_second"] and baseline["per_second"]
        else None
    )
    print(
        f"mootaflow {ours['per_second']}/s vs no-op baseline {baseline['per_second']}/s: "
        f"ratio {ratio} (goal >= 0.9)",
        flush=True,
    )
    result = {
        "rate": args.rate,
        "mootaflow": {**ours, "acks": asdict(acks)},
        "baseline": baseline,
        "ratio": ratio,
    }
    write_result("e2e", result, args.out)


if __name__ == "__main__":
    run_bench(main())
