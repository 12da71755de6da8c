"""bench/start_load, the load bench/ack times the endpoints beside: it starts a payment
workflow per mutation on the stack's task queue and writes what it measured."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from bench.start_load import WORKERS_RUNNING, moota_mutations
from temporalio.client import Client

BENCH_ROOT = Path(__file__).resolve().parents[2]


async def test_it_starts_each_payment_on_the_stacks_task_queue(
    client: Client, temporal_address: str, task_queue: str, tmp_path: Path
) -> None:
    out = tmp_path / "figures.json"
    env = {**os.environ, "MOOTAFLOW_TASK_QUEUE": task_queue}
    command = [sys.executable, "-m", "bench.start_load", temporal_address, "20", "0.5", str(out)]
    await asyncio.to_thread(
        subprocess.run, command, env=env, cwd=BENCH_ROOT, check=True, timeout=60
    )
    figures = json.loads(out.read_text())
    assert (figures["name"], figures["sent"], figures["errors"]) == (WORKERS_RUNNING, 10, 0)
    query = f"TaskQueue = '{task_queue}'"
    for _ in range(200):  # visibility follows the starts
        if (await client.count_workflows(query)).count == 10:
            break
        await asyncio.sleep(0.1)
    assert (await client.count_workflows(query)).count == 10


def test_its_mutations_are_moota_shaped_and_distinct() -> None:
    mutations = moota_mutations("run", 3)
    assert len({m.mutation_id for m in mutations}) == 3
    # Parsed from the Moota shape: Moota's created_at says when it saw each one.
    assert all(m.seen_at is not None for m in mutations)
