"""bench/e2e's flagged path: payments finance must approve (bench/e2e.py runs it).

Phase 1, webhook → awaiting approval: N Moota-shaped transfers, each Rp 1.000 short of
its order and naming the order in the note (as customers write it), so each is flagged
underpaid with that order as its candidate. Phase 2, approval → customer email: each is
approved through the finance API (`POST /api/payments/{id}/approve`, difference
"accept"), open loop at the rate; first approval sent → last customer email received.
The baseline does the same with NoopFlaggedWorkflow: started at the rate, counted
waiting by its PaymentStatus search attribute, approved by the `approve` Update at the
rate; first Update → last completion.

Phase 1 ends when a poll (every 0.5 s, both sides) sees all N waiting; phase 2 ends at
an exact time (the last email's arrival, the last workflow's close time)."""

import asyncio
import json
import time
import uuid
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from bench.e2e_parts import (
    Baseline,
    CpuMeter,
    create_orders,
    send_webhooks,
    throughput,
    wait_for,
)
from bench.loadclient import LoadClient
from bench.loadgen import open_loop, report
from bench.noop_workflow import AWAITING, NoopFlaggedWorkflow
from bench.payloads import transfer
from bench.smtp_sink import SmtpSink
from bench.stack import Stack
from mootaflow.domain.allocations import Difference
from mootaflow.domain.payments import PaymentStatus
from mootaflow.domain.settings import DEV_FINANCE_TOKEN
from mootaflow.store import payments
from mootaflow.store.db import open_database, reading, session_factory

SHORT_BY = Decimal(1000)
# The API answers an approval once the payment is booked with its invoice (or 202 after
# MOOTAFLOW_DECISION_RESULT_SECONDS, 30 s by default): wait longer than that.
APPROVAL_TIMEOUT_S = 60.0
# A decision answered 503 (no worker took it in time) is sent again, up to this often.
RESENDS = 30


def approval(order_ref: str) -> bytes:
    """What finance sends to accept a short transfer as paying the order in full."""
    body = {"order_ref": order_ref, "difference": Difference.ACCEPT.value, "note": "bench"}
    return json.dumps(body).encode()


async def flagged_mootaflow(
    stack: Stack, sink: SmtpSink, count: int, rate: float
) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    # The mutation ids and the customers' addresses of this run start with it.
    prefix = f"flagged-{run}-"
    print(f"creating {count} orders ...", flush=True)
    orders = await create_orders(stack.database_url, count, prefix)
    bodies = [
        transfer(f"{prefix}{i}", o.amount - SHORT_BY, note=f"bayar pesanan {o.ref}")
        for i, o in enumerate(orders)
    ]
    print(f"== mootaflow, flagged: {count} payments at {rate:g}/s", flush=True)
    first, acks = await send_webhooks(stack.webhook_url, "mootaflow webhooks", bodies, rate)

    async with open_database(stack.database_url) as engine:
        sessions = session_factory(engine)

        async def awaiting() -> int:
            async with reading(sessions) as session:
                rows = await payments.by_status(
                    session, PaymentStatus.AWAITING_APPROVAL, limit=count * 2
                )
            return sum(1 for p in rows if p.mutation_id.startswith(prefix))

        waiting = await wait_for("payments awaiting approval", count, awaiting)
    phase1 = throughput(count, waiting, first, time.time())

    print(f"== mootaflow, flagged: {waiting} approvals at {rate:g}/s", flush=True)
    client = LoadClient(stack.receiver_url, timeout=APPROVAL_TIMEOUT_S)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {DEV_FINANCE_TOKEN}"}
    requests = [
        client.request(approval(o.ref), headers, path=f"/api/payments/{prefix}{i}/approve")
        for i, o in enumerate(orders)
    ]
    started: list[float] = []
    retried: list[int] = []
    cpu = CpuMeter(stack.pids)

    async def approve(i: int) -> bool:
        if i == 0:
            started.append(time.time())
        for _ in range(RESENDS):
            status, _ = await client.send(requests[i])
            if status != 503:
                return status in (200, 202)  # 202: taken, still booking (durable)
            # No worker took it in time (overload): not applied; finance sends it again.
            retried.append(i)
            await asyncio.sleep(1)
        return False

    try:
        answers = await open_loop("approvals (finance API)", rate, count / rate, approve)
    finally:
        await client.close()
    report([answers])

    async def emails() -> int:
        return len(sink.sink.arrived(prefix))

    received = await wait_for("customer emails", count, emails)
    last = max(sink.sink.arrived(prefix), default=started[0])
    # Each process's CPU from the first approval to the last email, per approval.
    cpu_used = cpu.summary(received, "approval")
    # Top level: phase 2, the figure compared with the baseline.
    return {
        **throughput(count, received, started[0], last),
        **cpu_used,
        "phase1": phase1,
        "acks": asdict(acks),
        "approvals": asdict(answers),
        "approvals_sent_again": len(retried),
    }


async def flagged_baseline(baseline: Baseline, count: int, rate: float) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    ids = [f"{baseline.queue}-flagged-{run}-{i}" for i in range(count)]
    first: list[float] = []
    print(f"== baseline, flagged: {count} no-op workflows at {rate:g}/s", flush=True)

    async def start(i: int) -> bool:
        if i == 0:
            first.append(time.time())
        await baseline.client.start_workflow(
            NoopFlaggedWorkflow.run, f"noop-{i}", id=ids[i], task_queue=baseline.queue
        )
        return True

    starts = await open_loop("no-op workflow starts", rate, count / rate, start)
    report([starts])
    waiting_query = baseline.query(
        "NoopFlaggedWorkflow", f"ExecutionStatus='Running' AND PaymentStatus='{AWAITING}'"
    )
    waiting = await wait_for(
        "no-op workflows awaiting approval", count, lambda: baseline.count(waiting_query)
    )
    phase1 = throughput(count, waiting, first[0], time.time())

    print(f"== baseline, flagged: {count} approve Updates at {rate:g}/s", flush=True)
    started: list[float] = []
    payload = {"by": "bench", "order_ref": "MF-BENCH", "difference": Difference.ACCEPT.value}
    cpu = CpuMeter(baseline.pids)

    async def approve(i: int) -> bool:
        if i == 0:
            started.append(time.time())
        handle = baseline.client.get_workflow_handle(ids[i])
        # By name, as the finance API sends it to PaymentWorkflow.
        answer: str = await handle.execute_update("approve", payload, result_type=str)
        return answer == "paid"

    updates = await open_loop("approve Updates", rate, count / rate, approve)
    report([updates])
    completed = baseline.query("NoopFlaggedWorkflow", "ExecutionStatus='Completed'")
    done = await wait_for("no-op workflows completed", count, lambda: baseline.count(completed))
    last = await baseline.last_close(completed, started[0])
    return {
        **throughput(count, done, started[0], last),
        **cpu.summary(done, "approval"),
        "phase1": phase1,
        "starts": asdict(starts),
        "updates": asdict(updates),
    }
