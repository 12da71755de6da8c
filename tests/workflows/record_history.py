"""Record PaymentWorkflow histories for the replay test.

Run: python -m tests.workflows.record_history
"""

import asyncio
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from mootaflow.cli.devserver import temporal_binary
from mootaflow.cli.worker import build_worker
from mootaflow.domain.moota import parse_mutation
from mootaflow.domain.orders import NewOrder
from mootaflow.domain.settings import Settings
from mootaflow.store.db import create_engine, session_factory, upgrade_schema
from mootaflow.store.orders import CodeRange, create_order
from mootaflow.workflows import search_attributes as sa
from mootaflow.workflows.payment import PaymentWorkflow
from mootaflow.workflows.temporal import DATA_CONVERTER
from tests.support.moota import mutation
from tests.support.temporal import start_payment

HISTORIES = Path(__file__).parent / "histories"


async def main() -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=list(sa.ALL),
        data_converter=DATA_CONVERTER,
    )
    try:
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(
                _env_file=None,
                database_url=f"sqlite+aiosqlite:///{folder}/app.db",
                task_queue=f"record-{uuid.uuid4().hex}",
                outbox_dir=Path(folder) / "outbox",
            )
            engine = create_engine(settings.database_url)
            await upgrade_schema(engine)
            sessions = session_factory(engine)
            async with sessions() as session:
                order, _ = await create_order(
                    session,
                    NewOrder(account_number="1234567890", amount=150000, customer_email="a@b.id"),
                    codes=CodeRange(1, 999),
                    default_expiry=timedelta(hours=1),
                    now=datetime.now(UTC) - timedelta(minutes=10),
                )
            cases = {
                "payment_paid": mutation(amount=int(order.amount)),
                "payment_flagged": mutation(amount=99),
            }
            async with (
                httpx.AsyncClient() as http,
                build_worker(env.client, settings, sessions, http),
            ):
                for name, item in cases.items():
                    handle = await start_payment(
                        env.client, settings.task_queue, parse_mutation(item)
                    )
                    if name == "payment_flagged":
                        while (await handle.query(PaymentWorkflow.status)).status == "received":
                            await asyncio.sleep(0.1)
                        await handle.signal("approve", {"note": "no approver: refused"})
                        await handle.signal("reject", {"by": "Sari", "reason": "test transfer"})
                    await handle.result()
                    history = await handle.fetch_history()
                    (HISTORIES / f"{name}.json").write_text(history.to_json())
                    print(f"wrote {name}")
            await engine.dispose()
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
