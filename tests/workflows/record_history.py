"""Record a PaymentWorkflow history for the replay test.

Run: python -m tests.workflows.record_history
"""

import asyncio
import tempfile
import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from mootaflow.cli.devserver import temporal_binary
from mootaflow.cli.worker import build_worker
from mootaflow.domain.moota import parse_mutation
from mootaflow.store.db import create_engine, create_schema, session_factory
from mootaflow.workflows import search_attributes as sa
from mootaflow.workflows.temporal import DATA_CONVERTER
from tests.support.moota import mutation
from tests.support.temporal import start_payment

OUT = Path(__file__).parent / "histories" / "payment_received.json"


async def main() -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=list(sa.ALL),
        data_converter=DATA_CONVERTER,
    )
    try:
        with tempfile.TemporaryDirectory() as folder:
            engine = create_engine(f"sqlite+aiosqlite:///{folder}/app.db")
            await create_schema(engine)
            queue = f"record-{uuid.uuid4().hex}"
            parsed = parse_mutation(mutation(mutation_id="recorded-1", amount=150123))
            async with build_worker(env.client, queue, session_factory(engine)):
                handle = await start_payment(env.client, queue, parsed)
                await handle.result()
                history = await handle.fetch_history()
            await engine.dispose()
        OUT.write_text(history.to_json())
        print(f"wrote {OUT}")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
