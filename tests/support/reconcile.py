"""Running reconciliation in tests: the workflow directly (not waiting for the
schedule), and what the database says afterwards."""

import asyncio
import uuid
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, select
from sqlmodel import SQLModel, col
from temporalio.client import Client, WorkflowHandle

from mootaflow.domain.settings import Settings
from mootaflow.store.db import Sessions, reading
from mootaflow.store.tables import Invoice, Order, Payment
from mootaflow.workflows.reconcile import ReconcileInput, ReconcileResult, ReconcileWorkflow
from tests.support.fakemoota import RunningFakeMoota


def with_moota(settings: Settings, fake: RunningFakeMoota) -> Settings:
    """The settings pointed at the fake Moota's API."""
    return settings.model_copy(
        update={"moota_api_url": fake.api_url, "moota_api_token": SecretStr(fake.token)}
    )


async def start_reconcile(
    client: Client, task_queue: str, **fields: Any
) -> WorkflowHandle[ReconcileWorkflow, ReconcileResult]:
    """A one-off run, as the schedule would start it (no webhook grace unless asked)."""
    fields.setdefault("min_age_seconds", 0)
    return await client.start_workflow(
        ReconcileWorkflow.run,
        ReconcileInput(**fields),
        id=f"test-reconcile-{uuid.uuid4().hex[:12]}",
        task_queue=task_queue,
    )


async def reconcile(client: Client, task_queue: str, **fields: Any) -> ReconcileResult:
    handle = await start_reconcile(client, task_queue, **fields)
    return await handle.result()


async def count(sessions: Sessions, model: type[SQLModel], *where: Any) -> int:
    # A read: no write lock (a burst of payments keeps SQLite's busy).
    async with reading(sessions) as session:
        query = select(func.count()).select_from(model).where(*where)
        return int((await session.execute(query)).scalar_one())


async def wait_paid(sessions: Sessions, expected: int, timeout: float = 600.0) -> None:
    """Until `expected` orders are paid and invoiced (polling the database is cheaper
    than 200 queries)."""
    paid = invoiced = 0
    try:
        async with asyncio.timeout(timeout):
            while paid < expected or invoiced < expected:
                await asyncio.sleep(0.5)
                paid = await count(sessions, Order, col(Order.status) == "paid")
                invoiced = await count(sessions, Invoice)
    except TimeoutError:
        raise AssertionError(f"{paid} paid, {invoiced} invoiced of {expected}") from None


async def sources(sessions: Sessions) -> dict[str, str]:
    """mutation id -> source of every payment row."""
    async with reading(sessions) as session:
        rows = await session.execute(select(col(Payment.mutation_id), col(Payment.source)))
        return {mutation_id: source for mutation_id, source in rows}
