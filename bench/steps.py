"""bench/steps: a path's steps on their own, without Temporal: what the worker's
activities cost per payment (CPU of this process, all threads; wall time; SQL
statements), one payment at a time.

Paid path: for each of N Moota-shaped transfers paying a pre-created order,
settle_payment (open, match, book and invoice, with its PDF), then notify_customer (an
email to a local SMTP sink, in this process) and notify_merchant (no callback
configured: skipped). Flagged path: each transfer is short of its order and settled
first (flagged, not measured); measured is what finance's approval runs: allocate (the
shortfall accepted, the decision recorded, the invoice issued), then the same notices.
Called as the worker calls them, on a fresh SQLite database. The first few payments
warm up.

    .venv/bin/python -m bench.steps --count 300 [--path flagged]
"""

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event
from temporalio.testing import ActivityEnvironment

from bench.e2e_parts import create_orders
from bench.payloads import transfer
from bench.results import write_result
from bench.smtp_sink import SmtpSink
from mootaflow.activities.contracts import AllocateInput, DecisionInput
from mootaflow.activities.notify import NotifyActivities
from mootaflow.activities.payment import PaymentActivities
from mootaflow.domain.allocations import Difference, Line
from mootaflow.domain.moota import Mutation, parse_mutation
from mootaflow.domain.settings import Settings
from mootaflow.store.databases import create_engines, upgrade_schemas

WARMUP = 5
# What a flagged path's transfer is short of its order (finance accepts the shortfall).
SHORT_BY = 1000


async def measure(count: int, folder: Path, sink: SmtpSink, path: str) -> dict[str, Any]:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{folder / 'mootaflow.db'}",
        outbox_dir=folder / "outbox",
        smtp_host=sink.host,
        smtp_port=sink.port,
        smtp_security="none",
        seller_name="Toko Contoh",
    )
    databases = create_engines(settings)
    await upgrade_schemas(databases)
    statements, measuring = 0, False

    def counted(*_: object) -> None:
        nonlocal statements
        statements += measuring

    # The steps' transactions run on the one-call engine (SQLite: a synchronous one).
    engines = {e.sync_engine for e in databases.engines} | {databases.calls.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", counted)
    orders = await create_orders(settings.database_url, count + WARMUP, "steps-")
    short = SHORT_BY if path == "flagged" else 0
    transfers = [
        parse_mutation(
            json.loads(transfer(f"steps-{i}", order.amount - short, note=f"bayar {order.ref}"))[0]
        )
        for i, order in enumerate(orders)
    ]
    env = ActivityEnvironment()
    try:
        async with httpx.AsyncClient() as http:
            payment = PaymentActivities(databases.calls, settings, databases.inbox)
            notify = NotifyActivities(databases.calls, settings, http)

            async def approve(mutation: Mutation, order_ref: str) -> None:
                """What the workflow runs once finance accepted the shortfall."""
                decision = DecisionInput(
                    mutation.mutation_id, "approve", "bench", order_ref, "", "underpaid",
                    Difference.ACCEPT.value, [],
                )  # fmt: skip
                booked = await env.run(
                    payment.allocate,
                    AllocateInput(
                        mutation.mutation_id, [Line(order_ref)], Difference.ACCEPT.value,
                        "bench", "", decision,
                    ),
                )  # fmt: skip
                if booked.invoice is None:
                    raise RuntimeError(f"{mutation.mutation_id} was not booked: {booked}")

            async def one(index: int) -> tuple[float, float]:
                """The measured steps' (CPU, wall) seconds."""
                nonlocal measuring
                mutation = transfers[index]
                if path == "flagged":
                    settled = await env.run(payment.settle_payment, mutation)
                    if settled.invoice is not None:
                        raise RuntimeError(f"{mutation.mutation_id} was not flagged: {settled}")
                measuring = True
                cpu, wall = time.process_time(), time.perf_counter()
                if path == "flagged":
                    await approve(mutation, orders[index].ref)
                else:
                    settled = await env.run(payment.settle_payment, mutation)
                    if settled.invoice is None:
                        raise RuntimeError(f"{mutation.mutation_id} was not paid: {settled}")
                await env.run(notify.notify_customer, mutation.mutation_id)
                await env.run(notify.notify_merchant, mutation.mutation_id)
                measuring = False
                return time.process_time() - cpu, time.perf_counter() - wall

            for index in range(WARMUP):
                await one(index)
            statements, cpu, wall = 0, 0.0, 0.0
            for index in range(WARMUP, WARMUP + count):
                used = await one(index)
                cpu, wall = cpu + used[0], wall + used[1]
    finally:
        await databases.close()
    return {
        "path": path,
        "count": count,
        "cpu_ms_per_payment": round(1000 * cpu / count, 1),
        "wall_ms_per_payment": round(1000 * wall / count, 1),
        "statements_per_payment": round(statements / count, 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.steps",
        description=__doc__.split("\n\n")[0],
        epilog="Figures go to bench/results/steps.json (steps-flagged.json).",
    )
    parser.add_argument("--count", type=int, default=300, help="payments (default 300)")
    parser.add_argument(
        "--path",
        choices=("paid", "flagged"),
        default="paid",
        help="paid on arrival, or flagged and approved by finance (default paid)",
    )
    parser.add_argument("--out", type=Path, help="default bench/results/steps[-flagged].json")
    args = parser.parse_args()
    if args.count < 1:
        parser.error("--count must be at least 1")
    with SmtpSink() as sink, tempfile.TemporaryDirectory(prefix="mootaflow-steps-") as folder:
        result = await measure(args.count, Path(folder), sink, args.path)
    print(
        f"per payment: {result['cpu_ms_per_payment']} ms CPU, "
        f"{result['wall_ms_per_payment']} ms wall, "
        f"{result['statements_per_payment']} SQL statements",
        flush=True,
    )
    write_result("steps" if args.path == "paid" else "steps-flagged", result, args.out)


if __name__ == "__main__":
    asyncio.run(main())
