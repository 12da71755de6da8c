"""The database fails every attempt for hours (a failover, a maintenance window), far
longer than the old cap of 20 attempts (about ten minutes), then comes back: every
payment ends paid with its invoice, also one that was booked just before the outage.
Nobody presses Reset. On the time-skipping server: the hours pass in seconds."""

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from mootaflow.activities import invoicing
from mootaflow.activities.contracts import InvoiceResult
from mootaflow.activities.invoice_pdf import InvoiceData, render_invoice
from mootaflow.activities.payment import PaymentActivities
from mootaflow.domain.moota import parse_mutation
from mootaflow.domain.orders import NewOrder
from mootaflow.domain.settings import Settings
from mootaflow.receiver.progress import workflow_progress
from mootaflow.store import invoices, orders
from mootaflow.store.databases import Databases
from mootaflow.store.db import PoolLimits, create_engine, session_factory, upgrade_schema
from mootaflow.temporal.worker import build_worker
from tests.conftest import POSTGRES_URL
from tests.support.moota import mutation
from tests.support.temporal import start_payment

OUTAGE = timedelta(hours=2)
# An attempt waits this long for the database before failing (the setting's role).
POOL_WAIT = 0.3


@asynccontextmanager
async def database_down(url: str) -> AsyncIterator[None]:
    """SQLite: another process holds the write lock. PostgreSQL: the database refuses
    connections and its sessions are cut, as in a failover."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database is not None
        holder = sqlite3.connect(parsed.database, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    name = parsed.database
    admin = create_async_engine(f"{POSTGRES_URL}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        yield
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        await admin.dispose()


async def test_payments_outlive_hours_of_database_outage(
    time_env: WorkflowEnvironment,
    settings: Settings,
    databases: Databases,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = create_engine(settings.database_url, PoolLimits(timeout_seconds=POOL_WAIT))
    sessions = session_factory(engine)
    # The main database on the short pool wait; the receiving one as the fixture's.
    own = Databases.of(engine, databases.inbox_engine if databases.split else engine, POOL_WAIT)
    try:
        await upgrade_schema(engine)
        created = []
        async with sessions.begin() as session:
            for base in (100000, 200000, 300000):
                order, _ = await orders.create_order(
                    session,
                    NewOrder(account_number="1234567890", amount=Decimal(base)),
                    codes=orders.CodeRange(1, 999),
                    default_expiry=timedelta(days=2),
                    now=datetime.now(UTC) - timedelta(minutes=1),
                )
                created.append(order)
        booked_first, *others = [parse_mutation(mutation(amount=int(o.amount))) for o in created]
        # The first payment's settle step books it but fails to render its invoice's
        # PDF, so generate_invoice issues it: that step waits until the database is down.
        rendered: list[str] = []

        def render_once_failing(data: InvoiceData) -> bytes:
            rendered.append(data.number)
            if len(rendered) == 1:
                raise RuntimeError("font cache unreadable")
            return render_invoice(data)

        monkeypatch.setattr(invoicing, "render_invoice", render_once_failing)
        reached, released = asyncio.Event(), asyncio.Event()
        issue = PaymentActivities._invoice

        async def invoice_later(self: PaymentActivities, mutation_id: str) -> InvoiceResult:
            if not reached.is_set():
                reached.set()
                await released.wait()
            return await issue(self, mutation_id)

        monkeypatch.setattr(PaymentActivities, "_invoice", invoice_later)
        client: Client = time_env.client
        async with httpx.AsyncClient() as http, build_worker(client, settings, own, http):
            handles = [await start_payment(client, settings.task_queue, booked_first)]
            await asyncio.wait_for(reached.wait(), 30)  # booked; its invoice is next
            async with database_down(settings.database_url):
                handles += [await start_payment(client, settings.task_queue, m) for m in others]
                released.set()
                # In slices: each skip is one call to the test server.
                for _ in range(int(OUTAGE / timedelta(minutes=10))):
                    await time_env.sleep(timedelta(minutes=10))
                for handle in handles:
                    progress = await workflow_progress(_returning(client), handle.id)
                    assert progress is not None and progress["status"] == "running"
                    [step] = progress["pending_steps"]
                    assert step["step"] in ("settle_payment", "generate_invoice")
                    assert step["attempt"] > 40, step  # the old policy gave up after 20
            states = [await asyncio.wait_for(h.result(), 120) for h in handles]
        assert [s.status for s in states] == ["paid"] * 3
        assert rendered[0] == states[0].invoice_number  # the number its settle step gave
        async with sessions.begin() as session:
            for state, order in zip(states, created, strict=True):
                invoice = await invoices.invoice_for_mutation(session, state.mutation_id)
                assert invoice is not None and invoice.pdf is not None
                assert (state.order_ref, state.invoice_number) == (order.ref, invoice.number)
    finally:
        await own.close_calls()  # the inbox engine may be the fixture's
        await engine.dispose()


def _returning(client: Client):  # type: ignore[no-untyped-def]
    async def client_of() -> Client:
        return client

    return client_of
