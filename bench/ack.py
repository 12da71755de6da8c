"""bench/ack: acknowledgement latency of the receiver under open-loop load, against two
baselines measured in the same run: (a) the bare Temporal start_workflow call at the same
rate, (b) a minimal Starlette endpoint that only verifies the HMAC and answers 200.

Run against a running dev stack (`mootaflow dev`, with MOOTAFLOW_RATE_LIMIT_PER_SECOND=0):
    .venv/bin/python -m bench.ack --rate 100 --duration 60
"""

import argparse
import asyncio
import json
import os
import socket
import sys
import time
import uuid
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from bench.loadgen import Figures, open_loop, report
from mootaflow.domain.moota import parse_mutation
from mootaflow.domain.settings import DEV_WEBHOOK_SECRET
from mootaflow.domain.signature import sign
from mootaflow.workflows.payment import PaymentInput, PaymentWorkflow
from mootaflow.workflows.temporal import DATA_CONVERTER

MINIMAL = Path(__file__).resolve().parent / "minimal_receiver.py"


def delivery(index: int, run: str, size: int = 1) -> bytes:
    items = [
        {
            "account_number": "9990001112",
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "description": "BENCH",
            "note": "",
            "amount": 10000 + index,
            "type": "CR",
            "balance": 0,
            "mutation_id": f"bench-{run}-{index}-{n}",
            "bank_id": "bench",
        }
        for n in range(size)
    ]
    return json.dumps(items, separators=(",", ":")).encode()


async def bench_webhook(name: str, url: str, secret: str, rate: float, duration: float) -> Figures:
    run = uuid.uuid4().hex[:8]
    bodies = [delivery(i, run) for i in range(int(rate * duration))]
    signatures = [sign(body, secret) for body in bodies]
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=500)
    async with httpx.AsyncClient(timeout=10, limits=limits) as http:

        async def call(i: int) -> bool:
            response = await http.post(
                url,
                content=bodies[i],
                headers={"Content-Type": "application/json", "Signature": signatures[i]},
            )
            return response.status_code == 200

        return await open_loop(name, rate, duration, call)


async def bench_start_workflow(address: str, rate: float, duration: float) -> Figures:
    client = await Client.connect(address, data_converter=DATA_CONVERTER)
    run = uuid.uuid4().hex[:8]
    inputs = [
        PaymentInput(parse_mutation(json.loads(delivery(i, run))[0]))
        for i in range(int(rate * duration))
    ]

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/webhooks/moota")
    parser.add_argument("--secret", default=DEV_WEBHOOK_SECRET)
    parser.add_argument("--temporal", default="127.0.0.1:7233")
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--out", type=Path, default=Path("bench/results/ack.json"))
    args = parser.parse_args()

    port = free_port()
    minimal = await asyncio.create_subprocess_exec(
        sys.executable, str(MINIMAL), str(port), args.secret, env=dict(os.environ)
    )
    try:
        await asyncio.sleep(2)
        figures = [
            await bench_webhook(
                "mootaflow receiver", args.url, args.secret, args.rate, args.duration
            ),
            await bench_start_workflow(args.temporal, args.rate, args.duration),
            await bench_webhook(
                "minimal HMAC endpoint",
                f"http://127.0.0.1:{port}/webhooks/moota",
                args.secret,
                args.rate,
                args.duration,
            ),
        ]
    finally:
        minimal.terminate()
        await minimal.wait()
    report(figures, args.out)
    ours, bare, minimal_figures = figures
    print(
        f"mootaflow p99 / start_workflow p99 = {ours.p99_ms / bare.p99_ms:.2f}; "
        f"mootaflow p99 / minimal endpoint p99 = {ours.p99_ms / minimal_figures.p99_ms:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
