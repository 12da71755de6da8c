"""The e2e baseline's worker, a process of its own like the real one:
    python -m bench.noop_worker TASK_QUEUE
Settings come from the same MOOTAFLOW_* environment as the real worker, and the Worker
is built with exactly the options the real one gets (concurrency, pollers, ...): they
are copied from `build_worker`, so tuning the real worker tunes the baseline too."""

import asyncio
import signal
import sys

import httpx
from temporalio.worker import Worker

from bench.noop_workflow import ACTIVITIES, NoopFlaggedWorkflow, NoopPaymentWorkflow
from mootaflow.domain.settings import load_settings
from mootaflow.store.databases import create_engines
from mootaflow.temporal.client import connect
from mootaflow.temporal.worker import build_worker


async def main(task_queue: str) -> None:
    settings = load_settings()
    client = await connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    # Never used: only build_worker needs them.
    databases = create_engines(settings)
    async with httpx.AsyncClient() as http:
        options = build_worker(client, settings, databases, http).config()
    options["task_queue"] = task_queue
    options["workflows"] = [NoopPaymentWorkflow, NoopFlaggedWorkflow]
    options["activities"] = list(ACTIVITIES)
    async with Worker(**options):
        print(f"noop worker polling {task_queue}", flush=True)
        await stop.wait()
    for engine in databases.engines:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
