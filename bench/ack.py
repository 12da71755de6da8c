"""bench/ack: acknowledgement latency of the receiver under open-loop load, against
baselines measured in the same run at the same rate: (a) the Temporal start_workflow call,
bare (a task queue no worker polls: only the start) and as a receiver that starts each
workflow before it answers would make it (the stack's own start, its workers running the
workflows meanwhile), (b) a minimal Starlette endpoint that only verifies the HMAC, and
the same endpoint committing each body to SQLite with a sync before it answers (the floor
of any acknowledgement that survives a power cut), each timed on the idle stack and again
while the stack runs the payments of (a)'s second start (in a process of its own,
bench/start_load.py): the best any receiver sharing the machine with that work can do.

By default it starts its own stack (bench/stack.py) in a temporary folder:
    .venv/bin/python -m bench.ack --rates 100,300 --durations 60,15
or targets a running one (`mootaflow dev` with MOOTAFLOW_RATE_LIMIT_PER_SECOND=0):
    .venv/bin/python -m bench.ack --url http://127.0.0.1:8000/webhooks/moota \
        --temporal 127.0.0.1:7233 --database-url sqlite+aiosqlite:///./var/mootaflow.db
Between phases it waits until the stack is quiet; after each mootaflow phase it records
how long the backlog took to drain and checks that no mutation was lost.
"""

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from bench import receiver_account
from bench.loadclient import LoadClient
from bench.loadgen import Figures, open_loop, percentile, report
from bench.payloads import MOOTA, SHAPES, delivery, mutation_id
from bench.probe import check_loss, wait_quiet
from bench.results import RESULTS, write_result
from bench.stack import bench_stack, dev_stack, free_port, run_bench, spawn, stop, tail
from bench.start_load import WORKERS_RUNNING, moota_mutations
from mootaflow.domain.moota import workflow_id_for
from mootaflow.domain.settings import DEV_WEBHOOK_SECRET
from mootaflow.domain.signature import sign
from mootaflow.temporal.client import DATA_CONVERTER
from mootaflow.workflows.payment import PaymentWorkflow
from mootaflow.workflows.payment_types import PaymentInput

MINIMAL = Path(__file__).resolve().parent / "minimal_receiver.py"
MINIMAL_NAME = "minimal HMAC endpoint"
SYNCED = "minimal endpoint, synced commit"
# The two endpoints again, timed while the stack runs the payments of WORKERS_RUNNING.
BESIDE = " (stack working)"
DEV_UP = "dev up in "


@dataclass
class Target:
    """Where to send: a stack this run started (pids known) or one already running."""

    webhook_url: str
    temporal: str
    secret: str
    database_url: str | None = None
    pids: list[int] = field(default_factory=list)
    check_alive: Callable[[], None] | None = None
    # False: a phase starts once the inbox backlog is started, the worker maybe still busy.
    until_idle: bool = True
    # Named processes, for profiles (`--profile`).
    named: dict[str, int] = field(default_factory=dict)
    profile: Path | None = None
    label: str = "bench"

    def profiler(self, phase: str, seconds: float) -> subprocess.Popen[bytes] | None:
        """py-spy on the receiver and the worker for one phase: flame graphs (SVG) under
        `profile`, named STACK-PROCESS-PHASE."""
        beside = Path(sys.executable).parent / "py-spy"
        spy = shutil.which("py-spy") or (str(beside) if beside.exists() else None)
        if self.profile is None:
            return None
        if spy is None:
            print("--profile: py-spy is not installed (pip install py-spy); no profile", flush=True)
            return None
        self.profile.mkdir(parents=True, exist_ok=True)
        runs = []
        for name in ("receiver", "worker"):
            if name in self.named:
                out = self.profile / f"{self.label}-{name}-{phase}.svg"
                runs.append(
                    f"{spy} record --nonblocking --pid {self.named[name]} "
                    f"--duration {int(seconds)} --format flamegraph --output {out}"
                )
        if not runs:
            return None
        command = " & ".join(runs) + " & wait"
        return subprocess.Popen(  # noqa: S602 (our own command line)
            command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    async def quiet(self, label: str) -> dict[str, float]:
        if self.database_url is None or not self.pids:
            # An external stack: all we can do is give it time.
            await asyncio.sleep(10)
            return {}
        quiet = await wait_quiet(
            self.database_url,
            self.pids,
            label=label,
            check_alive=self.check_alive,
            until_idle=self.until_idle,
        )
        return asdict(quiet)


async def post_signed(
    http: httpx.AsyncClient, url: str, body: bytes, secret: str
) -> httpx.Response:
    headers = {"Content-Type": "application/json", "Signature": sign(body, secret)}
    return await http.post(url, content=body, headers=headers)


async def bench_webhook(
    name: str,
    url: str,
    secret: str,
    rate: float,
    duration: float,
    run: str,
    shape: str = MOOTA,
    size: int = 1,
) -> Figures:
    client = LoadClient(url)
    requests = [
        client.request(body, {"Content-Type": "application/json", "Signature": sign(body, secret)})
        for body in (delivery(i, run, size, shape) for i in range(int(rate * duration)))
    ]

    async def call(i: int) -> bool:
        status, reply = await client.send(requests[i])
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {reply[:120]!r}")
        return True

    try:
        return await open_loop(name, rate, duration, call)
    finally:
        await client.close()


async def bench_start_workflow(client: Client, rate: float, duration: float) -> Figures:
    run = uuid.uuid4().hex[:8]
    inputs = [PaymentInput(m) for m in moota_mutations(run, int(rate * duration))]

    async def call(i: int) -> bool:
        await client.start_workflow(
            PaymentWorkflow.run,
            inputs[i],
            id=f"bench-baseline-{run}-{i}",
            task_queue=f"bench-baseline-{run}",  # no worker: only the start is measured
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        return True

    return await open_loop("start_workflow (bare)", rate, duration, call)


async def beside_the_work(
    target: Target, rate: float, duration: float, run: str, endpoints: dict[str, str]
) -> list[Figures]:
    """The WORKERS_RUNNING load (bench/start_load.py, a process of its own) and, while the
    stack works on its payments, each endpoint (name: URL) at the same rate in turn: what any
    receiver sharing the machine with that work could do at best. Returns the starts'
    figures, then each endpoint's."""
    out = Path(tempfile.mkdtemp(prefix="bench-start-load-"))
    command = [sys.executable, "-m", "bench.start_load", target.temporal, f"{rate:g}"]
    command += [f"{duration:g}", str(out / "figures.json")]
    starts = spawn(command, os.environ, out / "start-load.log", cwd=Path(__file__).parent.parent)
    try:
        # The first fifth lets the workers get busy; each endpoint then gets a share.
        await asyncio.sleep(duration / 5)
        share = duration * 0.7 / len(endpoints)
        beside = []
        for n, (name, url) in enumerate(endpoints.items()):
            beside.append(
                await bench_webhook(name + BESIDE, url, target.secret, rate, share, f"{run}-b{n}")
            )
        if await asyncio.to_thread(starts.wait) != 0:
            raise RuntimeError(f"bench.start_load failed:\n{tail(out / 'start-load.log')}")
        busy = Figures(**json.loads((out / "figures.json").read_text()))
        return [busy, *beside]
    finally:
        stop({"start load": starts})
        shutil.rmtree(out, ignore_errors=True)


async def bench_largest(target: Target, client: Client, count: int, size: int) -> dict[str, Any]:
    """The largest real delivery: `count` requests of `size` mutations, sent 1 s apart."""
    run = uuid.uuid4().hex[:8]
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(timeout=10) as http:
        for i in range(count):
            body = delivery(i, run, size, MOOTA)
            began = time.perf_counter()
            response = await post_signed(http, target.webhook_url, body, target.secret)
            latencies.append((time.perf_counter() - began) * 1000)
            errors += response.status_code != 200
            await asyncio.sleep(max(0.0, 1 - (time.perf_counter() - began)))
    result: dict[str, Any] = {
        "requests": count,
        "mutations_per_request": size,
        "errors": errors,
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "max_ms": round(max(latencies), 2),
    }
    print(
        f"largest delivery ({size} mutations) x{count}: p50 {result['p50_ms']:.2f} ms  "
        f"max {result['max_ms']:.2f} ms  errors {errors}",
        flush=True,
    )
    result.update(await settle(target, client, run, [(i, size) for i in range(count)]))
    return result


async def settle(
    target: Target, client: Client, run: str, sent: Sequence[tuple[int, int]]
) -> dict[str, Any]:
    """Wait for quiet after a mootaflow phase, then check that nothing was lost."""
    quiet = await target.quiet(" after mootaflow")
    if target.database_url is None:
        return {"quiet": quiet}
    ids = [mutation_id(run, i, n) for i, size in sent for n in range(size)]
    prefix = workflow_id_for(mutation_id(run, 0, 0)).removesuffix("0-0")
    loss = await check_loss(target.database_url, client, ids, prefix)
    print(
        f"  backlog drained {quiet.get('backlog_drained_s')} s after the phase; "
        f"lost {loss.lost} of {loss.sent} (no inbox row {loss.no_inbox_row}, "
        f"not started {loss.not_started}, workflows {loss.workflows}"
        + (f", {loss.found_by_id} of them not yet listed" if loss.found_by_id else "")
        + ")",
        flush=True,
    )
    return {"quiet": quiet, "loss": {**asdict(loss), "lost": loss.lost}}


async def run_phases(
    target: Target,
    rates: Sequence[float],
    durations: Sequence[float],
    largest: int,
    shapes: Sequence[str] = (MOOTA,),
    size: int = 1,
) -> dict[str, Any]:
    client = await Client.connect(target.temporal, data_converter=DATA_CONVERTER)
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"bench-minimal-{port}.log"
    command = [sys.executable, str(MINIMAL), str(port), target.secret]
    minimal = {"minimal": spawn(command, os.environ, log)}
    # The same endpoint committing each body with a sync, in the temporary folder, where
    # the stacks this bench starts keep their databases.
    synced_port = free_port()
    synced_dir = Path(tempfile.mkdtemp(prefix="bench-synced-"))
    command = [sys.executable, str(MINIMAL), str(synced_port), target.secret]
    command.append(str(synced_dir / "inbox.db"))
    minimal["synced"] = spawn(command, os.environ, synced_dir / "endpoint.log")
    minimal_url = f"http://127.0.0.1:{port}/webhooks/moota"
    synced_url = f"http://127.0.0.1:{synced_port}/webhooks/moota"
    endpoints = {MINIMAL_NAME: minimal_url, SYNCED: synced_url}
    phases: list[dict[str, Any]] = []
    try:
        await asyncio.sleep(2)
        for rate, duration in zip(rates, durations, strict=True):
            shaped: dict[str, Figures] = {}
            after: dict[str, Any] = {}
            for shape in shapes:
                print(
                    f"== {rate:g}/s for {duration:g} s: mootaflow receiver, {shape} deliveries "
                    f"of {size}",
                    flush=True,
                )
                run = uuid.uuid4().hex[:8]
                profiling = target.profiler(f"{shape}-{rate:g}per-s", duration)
                before = await receiver_account.scrape(target.webhook_url)
                shaped[shape] = await bench_webhook(
                    f"mootaflow receiver ({shape})",
                    target.webhook_url,
                    target.secret,
                    rate,
                    duration,
                    run,
                    shape,
                    size,
                )
                if profiling is not None:
                    await asyncio.to_thread(profiling.wait)
                report([shaped[shape]])
                own = receiver_account.account(
                    before, await receiver_account.scrape(target.webhook_url)
                )
                print(receiver_account.describe(own), flush=True)
                after[shape] = {"receiver_account": own}
                sent = [(i, size) for i in range(shaped[shape].sent)]
                after[shape].update(await settle(target, client, run, sent))
            print(f"== {rate:g}/s: bare start_workflow", flush=True)
            bare = await bench_start_workflow(client, rate, duration)
            report([bare])
            await target.quiet(" after start_workflow")
            print(f"== {rate:g}/s: {WORKERS_RUNNING}; beside it, both endpoints", flush=True)
            busy, *beside = await beside_the_work(target, rate, duration, run, endpoints)
            report([busy, *beside])
            await target.quiet(" after start_workflow with workers")
            print(f"== {rate:g}/s: {MINIMAL_NAME}", flush=True)
            minimal_figures = await bench_webhook(
                MINIMAL_NAME, minimal_url, target.secret, rate, duration, run
            )
            print(f"== {rate:g}/s: {SYNCED}", flush=True)
            synced = await bench_webhook(SYNCED, synced_url, target.secret, rate, duration, run)
            baselines = (bare, busy, minimal_figures, synced, *beside)
            report([*shaped.values(), *baselines])
            for shape, figures in shaped.items():
                print(
                    f"{shape}: mootaflow p99 / start_workflow p99 = "
                    f"{figures.p99_ms / bare.p99_ms:.2f} (bare), "
                    f"{figures.p99_ms / busy.p99_ms:.2f} (workers running them); "
                    f"mootaflow p99 / minimal endpoint p99 = "
                    f"{figures.p99_ms / minimal_figures.p99_ms:.2f}",
                    flush=True,
                )
            for endpoint in (synced, *beside):
                print(
                    f"{endpoint.name} p99 / start_workflow (bare) p99 = "
                    f"{endpoint.p99_ms / bare.p99_ms:.2f}",
                    flush=True,
                )
            phases.append(
                {
                    "rate": rate,
                    "duration": duration,
                    "batch": size,
                    "shapes": list(shaped),
                    "figures": [asdict(f) for f in (*shaped.values(), *baselines)],
                    "mootaflow_after": after,
                }
            )
        result: dict[str, Any] = {"phases": phases}
        if largest:
            print(f"== largest delivery: {largest} requests of 100 mutations", flush=True)
            result["largest_delivery"] = await bench_largest(target, client, largest, 100)
        return result
    finally:
        stop(minimal)
        log.unlink(missing_ok=True)
        shutil.rmtree(synced_dir, ignore_errors=True)


def dev_up(workdir: Path, pids: dict[str, int]) -> str:
    """The line saying `mootaflow dev` is up, with its processes (bench/pinned reads it)."""
    return f"{DEV_UP}{workdir}; pids {pids}"


def numbers(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


@asynccontextmanager
async def target_of(args: argparse.Namespace) -> AsyncIterator[Target]:
    if args.url:
        yield Target(args.url, args.temporal, args.secret, args.database_url)
        return
    if args.stack == "dev":
        print("starting `mootaflow dev` in a fresh folder ...", flush=True)
        async with dev_stack() as dev:
            print(dev_up(dev.workdir, dev.pids), flush=True)
            yield Target(
                dev.webhook_url,
                dev.temporal_address,
                args.secret,
                dev.database_url,
                list(dev.pids.values()),
                dev.check_alive,
                named=dev.pids,
                profile=args.profile,
                label="dev",
            )
        return
    print("starting a bench stack (Temporal dev server, worker, receiver) ...", flush=True)
    overrides = {"MOOTAFLOW_DATABASE_URL": args.stack_database} if args.stack_database else {}
    async with bench_stack(overrides=overrides) as stack:
        print(f"stack up in {stack.workdir}; pids {stack.pids}", flush=True)
        yield Target(
            stack.webhook_url,
            stack.temporal_address,
            args.secret,
            stack.database_url,
            list(stack.pids.values()),
            stack.check_alive,
            named=stack.pids,
            profile=args.profile,
            label="bench",
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="webhook URL of a running stack (default: start one)")
    parser.add_argument("--temporal", default="127.0.0.1:7233", help="with --url")
    parser.add_argument("--database-url", help="with --url: its database, for the loss check")
    parser.add_argument(
        "--stack-database",
        help="an empty database for the started stack instead of SQLite, "
        "e.g. postgresql+asyncpg://USER:PASSWORD@127.0.0.1:5432/NAME",
    )
    parser.add_argument(
        "--stack",
        choices=["bench", "dev"],
        default="bench",
        help="without --url: start the bench's own stack, or `mootaflow dev` as users run it",
    )
    parser.add_argument(
        "--shapes",
        type=lambda text: [part for part in text.split(",") if part],
        default=[MOOTA],
        help=f"deliveries to send at each rate, of {', '.join(SHAPES)} (default moota)",
    )
    parser.add_argument("--batch", type=int, default=1, help="mutations per delivery")
    parser.add_argument(
        "--no-idle-wait",
        action="store_true",
        help="start the next phase once every mutation's workflow is started, not when "
        "the worker is idle too (faster; phases then run beside the worker's backlog)",
    )
    parser.add_argument("--secret", default=DEV_WEBHOOK_SECRET)
    parser.add_argument("--rates", type=numbers, default=[100.0], help="e.g. 100,300")
    parser.add_argument(
        "--durations", type=numbers, default=[60.0], help="seconds per rate, e.g. 60,15"
    )
    parser.add_argument(
        "--largest", type=int, default=20, help="requests of 100 mutations (0: skip)"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="write py-spy flame graphs of the receiver and worker per phase to this folder",
    )
    parser.add_argument("--out", type=Path, help="default bench/results/ack.json")
    args = parser.parse_args()
    durations = args.durations * len(args.rates) if len(args.durations) == 1 else args.durations
    if len(durations) != len(args.rates):
        parser.error("give one duration, or one per rate")
    if not args.shapes or set(args.shapes) - set(SHAPES):
        parser.error(f"--shapes takes {', '.join(SHAPES)}, comma-separated")
    if not 1 <= args.batch <= 1000:
        parser.error("--batch must be 1 to 1000")
    async with target_of(args) as target:
        target.until_idle = not args.no_idle_wait
        result = await run_phases(
            target, args.rates, durations, args.largest, args.shapes, args.batch
        )
    stack = "external" if args.url else args.stack
    result.update(
        stack=stack, batch=args.batch, shapes=args.shapes, until_idle=not args.no_idle_wait
    )
    write_result("ack", result, args.out or RESULTS / f"ack-{stack}-batch{args.batch}.json")


if __name__ == "__main__":
    run_bench(main())
