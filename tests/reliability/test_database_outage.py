"""The database is unavailable to activities for longer than an activity's timeout:
attempts fail or time out, Temporal retries them, the payment completes, nothing
half-written."""

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker

from mootaflow.domain.moota import parse_mutation
from mootaflow.store import invoices, orders, payments
from mootaflow.store.db import Sessions
from mootaflow.workflows import retries
from tests.support.flows import create_order, transfer
from tests.support.servers import RunningReceiver
from tests.support.temporal import settled, start_payment

# Longer than two attempts: the first, in the worker (patch local-first), and the
# first through the server both run into it, so Temporal's retry is what gets through.
OUTAGE = 2 * retries.DATABASE.start_to_close.total_seconds() + 3


@asynccontextmanager
async def database_locked(engine: AsyncEngine) -> AsyncIterator[None]:
    """Another party holds the whole database (SQLite) or the payment tables (PostgreSQL)."""
    if engine.dialect.name == "sqlite":
        path = make_url(str(engine.url)).database
        assert path is not None
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    async with engine.connect() as connection:
        transaction = await connection.begin()
        await connection.execute(
            text("LOCK TABLE payment, merchant_order IN ACCESS EXCLUSIVE MODE")
        )
        try:
            yield
        finally:
            await transaction.rollback()


async def test_payment_survives_a_database_outage(
    receiver: RunningReceiver,
    client: Client,
    worker: Worker,
    engine: AsyncEngine,
    sessions: Sessions,
    task_queue: str,
) -> None:
    order = await create_order(receiver)
    item = transfer(order)
    parsed = parse_mutation(item)
    async with database_locked(engine):
        # Started directly: this test is about the worker's side of the database.
        handle = await start_payment(client, task_queue, parsed)
        await asyncio.sleep(OUTAGE)
    state = await settled(client, parsed.workflow_id, timeout=120)
    assert state.status == "paid"

    # The first attempt ran into the outage and timed out; a retry succeeded. (Retries
    # are not history events: the started event records the attempt that completed.)
    history = await handle.fetch_history()
    started = [
        e.activity_task_started_event_attributes
        for e in history.events
        if e.HasField("activity_task_started_event_attributes")
    ]
    first = started[0]
    assert first.attempt > 1
    # Timed out (PostgreSQL: the statement waits on the lock) or failed its wait for
    # the database (SQLite: MOOTAFLOW_DATABASE_POOL_TIMEOUT_SECONDS, below the step's
    # timeout, so the attempt fails and backs off rather than outliving its timeout).
    failure = first.last_failure.message.lower()
    assert "timeout" in failure or "locked" in failure, failure
    # Nothing half-written: order, payment and invoice agree.
    async with sessions.begin() as session:
        booked = await session.run_sync(orders.get_order, order["ref"])
        payment = await payments.get_payment(session, parsed.mutation_id)
        invoice = await invoices.invoice_for_mutation(session, parsed.mutation_id)
    assert booked is not None and booked.paid_by_mutation_id == parsed.mutation_id
    assert payment is not None and (payment.status, payment.order_ref) == ("paid", order["ref"])
    assert invoice is not None and invoice.pdf is not None
