"""bench/latency: how long one payment takes on an idle stack, webhook to paid with its
invoice and webhook to the customer's email, one payment at a time.

Two sets of N payments, one at a time: each is sent once the workflow of the one before
has ended, so it finds the stack idle. For each, create an order and send its
Moota-shaped transfer. The first set times the customer's email, as a local SMTP sink
(where the stack sends its emails) receives it; nothing reads the database meanwhile,
as nothing does on a user's idle stack (a 5 ms poll took CPU from the two cores the
stack runs on and added 20-30 ms to the email). Each payment is then checked once to be
paid with its invoice. The second set times the payment, paid with its invoice, by
polling the database every 5 ms. Baseline in the same
run, on the same Temporal server: N sequential no-op workflows of the paid shape on
regular activities (bench/noop_workflow.py), start → result. One unmeasured payment and
one unmeasured baseline run go first (connections, the workflow sandbox's first load).

    .venv/bin/python -m bench.latency --count 30            # on `mootaflow dev`
    .venv/bin/python -m bench.latency --stack bench         # on the bench's own stack
"""

import argparse
import asyncio
import math
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from temporalio.client import Client

from bench.e2e_parts import Baseline, BenchOrder, create_orders, signed, start_baseline
from bench.loadclient import LoadClient
from bench.loadgen import percentile
from bench.noop_workflow import NoopPaymentWorkflow
from bench.payloads import transfer
from bench.probe import wait_quiet
from bench.results import write_result
from bench.smtp_sink import SmtpSink
from bench.stack import Stack, bench_stack, dev_stack, run_bench
from mootaflow.domain.moota import workflow_id_for
from mootaflow.domain.payments import PaymentStatus
from mootaflow.store import invoices, payments
from mootaflow.store.db import Sessions, open_database, reading, session_factory
from mootaflow.temporal.client import DATA_CONVERTER

TARGET_MS = 100.0  # issue 16: webhook to customer email p50 on an idle `mootaflow dev`
POLL_S = 0.005
# Waiting for the email reads only the sink's table in this process: no database.
EMAIL_POLL_S = 0.001
# One payment taking longer than this is counted missing, and the run goes on.
GIVE_UP_S = 30.0
WARMUP = 1


def summary(values_ms: list[float]) -> dict[str, Any]:
    """p50, p95 and max of a list of milliseconds, rounded; None where there are none."""

    def rounded(value: float) -> float | None:
        return None if math.isnan(value) else round(value, 1)

    return {
        "count": len(values_ms),
        "p50_ms": rounded(percentile(values_ms, 0.50)),
        "p95_ms": rounded(percentile(values_ms, 0.95)),
        "max_ms": rounded(max(values_ms, default=math.nan)),
    }


async def paid_with_invoice(sessions: Sessions, mutation_id: str) -> bool:
    async with reading(sessions) as session:
        payment = await payments.get_payment(session, mutation_id)
        if payment is None or payment.status != PaymentStatus.PAID:
            return False
        return await invoices.invoice_for_mutation(session, mutation_id) is not None


async def one_payment(
    client: LoadClient,
    sessions: Sessions,
    sink: SmtpSink,
    order: BenchOrder,
    mutation_id: str,
    to_email: bool,
) -> tuple[float, float | None, bool]:
    """Send the transfer paying `order`: (ack in ms, ms to the customer's email or, if not
    `to_email`, to paid with its invoice (None: not within GIVE_UP_S), whether it is
    paid with its invoice). Timing the email, nothing reads the database until it came."""
    body = transfer(mutation_id, order.amount)
    request = client.request(body, signed(body))
    sent = time.time()
    status, answer = await client.send(request)
    ack = (time.time() - sent) * 1000
    if status != 200:
        raise RuntimeError(f"webhook answered {status}: {answer[:200]!r}")
    while time.time() - sent < GIVE_UP_S:
        if to_email and (emailed := sink.sink.first_to.get(order.email)) is not None:
            return ack, (emailed - sent) * 1000, await paid_with_invoice(sessions, mutation_id)
        if not to_email and await paid_with_invoice(sessions, mutation_id):
            return ack, (time.time() - sent) * 1000, True
        await asyncio.sleep(EMAIL_POLL_S if to_email else POLL_S)
    return ack, None, await paid_with_invoice(sessions, mutation_id)


async def measure_mootaflow(stack: Stack, sink: SmtpSink, count: int) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    orders = await create_orders(stack.database_url, 2 * count + WARMUP, f"latency-{run}-")
    acks: list[float] = []
    timed: dict[str, list[float]] = {"email": [], "paid": []}
    unpaid = 0
    client = LoadClient(stack.webhook_url)
    temporal = await Client.connect(stack.temporal_address, data_converter=DATA_CONVERTER)
    async with open_database(stack.database_url) as engine:
        sessions = session_factory(engine)
        try:
            for i, order in enumerate(orders):
                to_email = i < WARMUP + count
                mutation_id = f"latency-{run}-{i}"
                ack, took, paid = await one_payment(
                    client, sessions, sink, order, mutation_id, to_email
                )
                # Its notifications and the run's last workflow task still take the
                # worker's CPU after the email: the next payment waits for them.
                ended = temporal.get_workflow_handle(workflow_id_for(mutation_id)).result()
                await asyncio.wait_for(ended, GIVE_UP_S)
                if i < WARMUP:
                    continue
                acks.append(ack)
                unpaid += not paid
                event = "email" if to_email else "paid"
                if took is not None:
                    timed[event].append(took)
                shown = "missing" if took is None else f"{took:.1f} ms"
                print(f"  payment {i}: ack {ack:.1f} ms, {event} {shown}", flush=True)
        finally:
            await client.close()
    return {
        "ack": summary(acks),
        "webhook_to_paid": summary(timed["paid"]),
        "webhook_to_email": summary(timed["email"]),
        "missing": {
            "paid": count - len(timed["paid"]),
            "email": count - len(timed["email"]),
            "not_paid_with_invoice": unpaid,
        },
    }


async def measure_baseline(baseline: Baseline, count: int) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    took: list[float] = []
    for i in range(count + WARMUP):
        began = time.time()
        await baseline.client.execute_workflow(
            NoopPaymentWorkflow.run,
            f"noop-{i}",
            id=f"{baseline.queue}-latency-{run}-{i}",
            task_queue=baseline.queue,
        )
        if i >= WARMUP:
            took.append((time.time() - began) * 1000)
    return summary(took)


@asynccontextmanager
async def stack_of(kind: str, sink: SmtpSink) -> AsyncIterator[Stack]:
    smtp = (sink.host, sink.port)
    if kind == "dev":
        async with dev_stack(smtp=smtp) as stack:
            yield stack
    else:
        async with bench_stack(smtp=smtp) as stack:
            yield stack


def show(name: str, figures: dict[str, Any]) -> None:
    print(
        f"{name:<28} p50 {figures['p50_ms']} ms  p95 {figures['p95_ms']} ms  "
        f"max {figures['max_ms']} ms  ({figures['count']} measured)",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.latency",
        description=__doc__.split("\n\n")[0],
        epilog="Figures go to bench/results/latency.json (or --out).",
    )
    parser.add_argument(
        "--count",
        type=int,
        default=30,
        help="payments timed to the email, and as many to paid (default 30)",
    )
    parser.add_argument(
        "--stack",
        choices=("dev", "bench"),
        default="dev",
        help="`mootaflow dev` as users run it (default), or the bench's own stack",
    )
    parser.add_argument("--out", type=Path, help="default bench/results/latency.json")
    args = parser.parse_args()
    if args.count < 1:
        parser.error("--count must be at least 1")
    with SmtpSink() as sink:
        print(f"starting the {args.stack} stack, emails to {sink.host}:{sink.port} ...", flush=True)
        async with stack_of(args.stack, sink) as stack:
            print(f"stack up in {stack.workdir}; pids {stack.pids}", flush=True)

            async def quiet() -> None:
                pids = list(stack.pids.values())
                await wait_quiet(stack.database_url, pids, check_alive=stack.check_alive)

            await quiet()
            print(
                f"== mootaflow: {args.count} payments timed to the email, then {args.count} "
                "timed to paid, one at a time",
                flush=True,
            )
            ours = await measure_mootaflow(stack, sink, args.count)
            baseline = await start_baseline(stack, f"bench-noop-{uuid.uuid4().hex[:8]}")
            await wait_quiet(
                stack.database_url,
                list(stack.pids.values()),
                label="",
                check_alive=stack.check_alive,
            )
            print(f"== baseline: {args.count} no-op workflows, one at a time", flush=True)
            theirs = await measure_baseline(baseline, args.count)
    show("webhook -> acknowledged", ours["ack"])
    show("webhook -> paid with invoice", ours["webhook_to_paid"])
    show("webhook -> customer email", ours["webhook_to_email"])
    show("no-op workflow start -> end", theirs)
    email_p50, base_p50 = ours["webhook_to_email"]["p50_ms"], theirs["p50_ms"]
    ratio = round(email_p50 / base_p50, 2) if email_p50 and base_p50 else None
    met = "met" if email_p50 is not None and email_p50 <= TARGET_MS else "NOT met"
    print(
        f"email p50 / baseline p50 = {ratio}; webhook to customer email p50 {email_p50} ms "
        f"(target <= {TARGET_MS:g} ms: {met})",
        flush=True,
    )
    if any(ours["missing"].values()):
        print(f"missing within {GIVE_UP_S:g} s: {ours['missing']}", flush=True)
    result = {
        "stack": args.stack,
        "count": args.count,
        **ours,
        "baseline": theirs,
        "ratio_email_p50_to_baseline_p50": ratio,
        "target_email_p50_ms": TARGET_MS,
    }
    write_result("latency", result, args.out)


if __name__ == "__main__":
    run_bench(main())
