"""bench/e2e: payments fully processed per second, mootaflow against a no-op baseline
measured in the same run on the same Temporal server.

Paid path: N Moota-shaped transfers each paying exactly one pre-created order (match →
mark paid → invoice PDF → email), sent at the rate; first webhook → last customer email
received by a local SMTP sink. Flagged path (bench/e2e_flagged.py): N transfers short of
their order, flagged for finance; once all wait, each is approved through the finance
API at the rate; first approval → last customer email. Baselines: the same workflow
shapes with no-op REGULAR activities (bench/noop_workflow.py) on a worker process built
with the real worker's options, started (and approved, by Update) by a plain script at
the same rate; first start → last completion.

    .venv/bin/python -m bench.e2e --count 1000 --rate 100 --path both
"""

import argparse
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.e2e_flagged import flagged_baseline, flagged_mootaflow
from bench.e2e_parts import (
    Baseline,
    CpuMeter,
    create_orders,
    ratio,
    send_webhooks,
    start_baseline,
    throughput,
    wait_for,
)
from bench.loadgen import open_loop, report
from bench.noop_workflow import NoopPaymentWorkflow
from bench.payloads import transfer
from bench.probe import wait_quiet
from bench.results import write_result
from bench.smtp_sink import SmtpSink
from bench.stack import Stack, bench_stack, run_bench
from mootaflow.processes import DEV_WORKERS

GOAL = 1.5  # issue 16: mootaflow at least 1.5x the no-op baseline on regular activities
PATHS = {"paid": ("paid",), "flagged": ("flagged",), "both": ("paid", "flagged")}


async def paid_mootaflow(stack: Stack, sink: SmtpSink, count: int, rate: float) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    who = f"paid-{run}-"
    print(f"creating {count} orders ...", flush=True)
    orders = await create_orders(stack.database_url, count, who)
    bodies = [transfer(f"paid-{run}-{i}", o.amount) for i, o in enumerate(orders)]
    print(f"== mootaflow, paid: {count} payments at {rate:g}/s", flush=True)
    cpu = CpuMeter(stack.pids)
    first, acks = await send_webhooks(stack.webhook_url, "mootaflow webhooks", bodies, rate)

    async def emails() -> int:
        return len(sink.sink.arrived(who))

    received = await wait_for("customer emails", count, emails)
    last = max(sink.sink.arrived(who), default=first)
    # Each process's CPU from the first webhook to the last email, per payment.
    cpu_used = cpu.summary(received, "payment")
    # After the last webhook: how long the backlog took to drain (a burst's tail).
    drain = round(max(last - first - count / rate, 0.0), 2)
    return {
        **throughput(count, received, first, last),
        "drain_seconds": drain,
        **cpu_used,
        "acks": asdict(acks),
    }


async def paid_baseline(baseline: Baseline, count: int, rate: float) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    first: list[float] = []
    print(f"== baseline, paid: {count} no-op workflows at {rate:g}/s", flush=True)
    cpu = CpuMeter(baseline.pids)

    async def start(i: int) -> bool:
        if i == 0:
            first.append(time.time())
        await baseline.client.start_workflow(
            NoopPaymentWorkflow.run,
            f"noop-{i}",
            id=f"{baseline.queue}-paid-{run}-{i}",
            task_queue=baseline.queue,
        )
        return True

    starts = await open_loop("no-op workflow starts", rate, count / rate, start)
    report([starts])
    completed = baseline.query("NoopPaymentWorkflow", "ExecutionStatus='Completed'")
    done = await wait_for("no-op workflows completed", count, lambda: baseline.count(completed))
    last = await baseline.last_close(completed, first[0])
    return {
        **throughput(count, done, first[0], last),
        **cpu.summary(done, "payment"),
        "starts": asdict(starts),
    }


def compared(name: str, ours: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """Both figures and their ratio, printed against the goal."""
    result = {
        "mootaflow": ours,
        "baseline": baseline,
        "ratio": ratio(ours["per_second"], baseline["per_second"]),
    }
    print(
        f"{name}: mootaflow {ours['per_second']}/s vs no-op baseline "
        f"{baseline['per_second']}/s: ratio {result['ratio']} (goal >= {GOAL})",
        flush=True,
    )
    if "phase1" in ours:
        print(
            f"  phase 1, webhook (start) -> all awaiting approval: mootaflow "
            f"{ours['phase1']['per_second']}/s, baseline {baseline['phase1']['per_second']}/s; "
            "the ratio above is phase 2, approval -> customer email (completion)",
            flush=True,
        )
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.e2e",
        description=__doc__.split("\n\n")[0],
        epilog="Starts its own throw-away stack (bench/stack.py) and SMTP sink; "
        "figures go to bench/results/e2e.json.",
    )
    parser.add_argument("--count", type=int, default=1000, help="payments per path (default 1000)")
    parser.add_argument(
        "--rate", type=float, default=100, help="webhooks (and approvals) per second (default 100)"
    )
    parser.add_argument(
        "--path", choices=sorted(PATHS), default="both", help="which payment path (default both)"
    )
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="mootaflow only (a long burst's drain time; the default output is then "
        "bench/results/e2e-burst.json)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=DEV_WORKERS,
        help=f"mootaflow worker processes in the stack (default {DEV_WORKERS}, as `mootaflow "
        "dev` runs); the no-op baseline has one, its faster setting (its worker is never "
        "its bound)",
    )
    parser.add_argument("--out", type=Path, help="default bench/results/e2e.json")
    args = parser.parse_args()
    if args.count < 1 or args.rate <= 0 or args.workers < 1:
        parser.error("--count and --workers must be at least 1 and --rate above 0")
    result: dict[str, Any] = {
        "rate": args.rate,
        "count": args.count,
        "goal": GOAL,
        "workers": args.workers,
    }
    with SmtpSink() as sink:
        print("starting a bench stack (Temporal dev server, worker, receiver) ...", flush=True)
        async with bench_stack(smtp=(sink.host, sink.port), workers=args.workers) as stack:
            print(f"stack up in {stack.workdir}; pids {stack.pids}", flush=True)
            baseline = await start_baseline(stack, f"bench-noop-{uuid.uuid4().hex[:8]}")

            async def quiet(label: str) -> None:
                await wait_quiet(
                    stack.database_url,
                    list(stack.pids.values()),
                    label=f" ({label})",
                    check_alive=stack.check_alive,
                )

            for path in PATHS[args.path]:
                await quiet(f"before {path}")
                if args.no_baseline:
                    run = paid_mootaflow if path == "paid" else flagged_mootaflow
                    result[path] = await run(stack, sink, args.count, args.rate)
                elif path == "paid":
                    ours = await paid_mootaflow(stack, sink, args.count, args.rate)
                    await quiet("mootaflow, paid")
                    theirs = await paid_baseline(baseline, args.count, args.rate)
                    # Top level, as before the flagged path existed (bench/chart.py).
                    result.update(compared("paid", ours, theirs))
                else:
                    ours = await flagged_mootaflow(stack, sink, args.count, args.rate)
                    await quiet("mootaflow, flagged")
                    theirs = await flagged_baseline(baseline, args.count, args.rate)
                    result["flagged"] = compared("flagged", ours, theirs)
    write_result("e2e-burst" if args.no_baseline else "e2e", result, args.out)


if __name__ == "__main__":
    run_bench(main())
