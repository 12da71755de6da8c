"""bench/start_load: bench/ack's "workers running them" load in a process of its own: the
stack's own start call (`start_payment`) for Moota-shaped mutations at a rate, open loop,
while the stack's workers run the payments. Writes its figures to OUT as JSON.

Its own process so that bench/ack can time the minimal endpoints beside the work these
starts make, without the starts' Python holding up the bench's own load generator.

    .venv/bin/python -m bench.start_load TEMPORAL RATE DURATION OUT
"""

import argparse
import asyncio
import json
import os
import sys
import uuid
from dataclasses import asdict
from pathlib import Path

from temporalio.client import Client

from bench.loadgen import Figures, open_loop
from bench.payloads import MOOTA, delivery
from mootaflow.domain.moota import Mutation, parse_mutation
from mootaflow.domain.settings import Settings
from mootaflow.temporal.client import DATA_CONVERTER
from mootaflow.temporal.starts import start_payment

WORKERS_RUNNING = "start_workflow (workers running them)"


def moota_mutations(run: str, count: int) -> list[Mutation]:
    """The mutations of `count` Moota-shaped single deliveries, as the receiver parses them."""
    return [parse_mutation(json.loads(delivery(i, run, shape=MOOTA))[0]) for i in range(count)]


async def bench_start_payment(client: Client, rate: float, duration: float) -> Figures:
    """What a receiver that starts each workflow before it answers would wait for: the
    stack's own start call, its workflows run by the stack's workers meanwhile, as they
    run mootaflow's during its phase."""
    run = uuid.uuid4().hex[:8]
    settings = Settings(_env_file=None)  # the task queue and run settings the stack uses
    mutations = moota_mutations(run, int(rate * duration))

    async def call(i: int) -> bool:
        await start_payment(client, mutations[i], settings)
        return True

    return await open_loop(WORKERS_RUNNING, rate, duration, call)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("temporal", help="the stack's Temporal address, e.g. 127.0.0.1:7233")
    parser.add_argument("rate", type=float, help="starts per second")
    parser.add_argument("duration", type=float, help="seconds")
    parser.add_argument("out", type=Path, help="where to write the figures (JSON)")
    args = parser.parse_args()
    client = await Client.connect(args.temporal, data_converter=DATA_CONVERTER)
    figures = await bench_start_payment(client, args.rate, args.duration)
    args.out.write_text(json.dumps(asdict(figures)))


if __name__ == "__main__":
    asyncio.run(main())
    # Done, without interpreter finalisation: the SDK's native runtime can crash there
    # (sdk-python#300, "PyGILState_Release"), as `mootaflow` itself avoids (cli/main.py).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
