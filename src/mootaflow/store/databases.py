"""The main database and the receiving one.

On SQLite one write lock covers a whole file, so a webhook's transaction would
wait for whatever worker step holds it. The receiving tables (deliveries, the
inbox, quarantined items, reconcile passes and Moota accounts) therefore live in
a file of their own: the webhook's lock is one no payment step ever takes. On
PostgreSQL locks are per row and both are the one database.

Both files carry the one schema (the same Alembic history, so a migration never
has two versions); each table's rows live in one of them. Which one a store
function writes is the caller's choice: `Databases.inbox` for the tables above,
`Databases.sessions` for the rest; `inbox_calls` and `calls` run a transaction on
each in one call (store/one_call.py: the receiver's writes, the worker's steps).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import Table, delete, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from mootaflow.domain.settings import Settings
from mootaflow.store.db import (
    PoolLimits,
    Sessions,
    create_engine,
    session_factory,
    table_of,
    upgrade_schema,
)
from mootaflow.store.one_call import OneCall
from mootaflow.store.tables import (
    Delivery,
    InboxMutation,
    MootaAccount,
    QuarantinedMutation,
    ReconcilePass,
)

# Parents before children (foreign keys): copied in this order, deleted in reverse.
RECEIVING_TABLES: tuple[Table, ...] = tuple(
    table_of(model)
    for model in (Delivery, MootaAccount, ReconcilePass, InboxMutation, QuarantinedMutation)
)
_COPY_BATCH = 500


@dataclass(frozen=True)
class Databases:
    engine: AsyncEngine
    sessions: Sessions
    # The receiving tables'; the same engine and sessions when there is one database.
    inbox_engine: AsyncEngine
    inbox: Sessions
    # Transactions in one call each: on the main database (the worker's steps) and on
    # the receiving one (the receiver's writes); the same when there is one database.
    calls: OneCall
    inbox_calls: OneCall

    @classmethod
    def of(
        cls,
        engine: AsyncEngine,
        inbox_engine: AsyncEngine | None = None,
        lock_timeout_seconds: float = PoolLimits().timeout_seconds,
    ) -> "Databases":
        sessions = session_factory(engine)
        calls = OneCall(engine, lock_timeout_seconds)
        if inbox_engine is None or inbox_engine is engine:
            return cls(engine, sessions, engine, sessions, calls, calls)
        inbox = session_factory(inbox_engine)
        inbox_calls = OneCall(inbox_engine, lock_timeout_seconds)
        return cls(engine, sessions, inbox_engine, inbox, calls, inbox_calls)

    async def close(self) -> None:
        await self.close_calls()
        for engine in self.engines:
            await engine.dispose()

    async def close_calls(self) -> None:
        """Close the one-call runners only (for engines this object does not own)."""
        for calls in {self.calls, self.inbox_calls}:
            await calls.close()

    @property
    def split(self) -> bool:
        return self.inbox_engine is not self.engine

    @property
    def engines(self) -> list[AsyncEngine]:
        return [self.engine, self.inbox_engine] if self.split else [self.engine]


def create_engines(settings: Settings, pool: PoolLimits | None = None) -> Databases:
    limits = pool or PoolLimits()
    engine = create_engine(settings.database_url, limits)
    if settings.receiving_database_url == settings.database_url:
        return Databases.of(engine, lock_timeout_seconds=limits.timeout_seconds)
    inbox = create_engine(settings.receiving_database_url, limits)
    return Databases.of(engine, inbox, limits.timeout_seconds)


async def upgrade_schemas(databases: Databases) -> None:
    """Migrate both; then move receiving rows a one-database install left in the main
    file (an upgrade from before the split), so the inbox keeps everything it
    acknowledged."""
    for engine in databases.engines:
        await upgrade_schema(engine)
    if databases.split:
        await move_receiving_rows(databases.engine, databases.inbox_engine)


@asynccontextmanager
async def open_databases(
    settings: Settings, pool: PoolLimits | None = None
) -> AsyncIterator[Databases]:
    """Both engines with their schema up to date, disposed on exit."""
    databases = create_engines(settings, pool)
    try:
        await upgrade_schemas(databases)
        yield databases
    finally:
        await databases.close()


async def move_receiving_rows(main: AsyncEngine, inbox: AsyncEngine) -> int:
    """Copy the receiving tables' rows from `main` into `inbox`, then delete them from
    `main`; returns how many rows moved. Idempotent: a copy cut short is copied again
    (insert-or-ignore on the primary key) and nothing is deleted before every row is
    in the inbox file (SQLite commits files one at a time, never both atomically)."""
    async with main.connect() as connection:
        counts = [
            int((await connection.execute(select(func.count()).select_from(t))).scalar_one())
            for t in RECEIVING_TABLES
        ]
        await connection.rollback()
    if not any(counts):
        return 0
    for table in RECEIVING_TABLES:
        await _copy(main, inbox, table)
    async with main.begin() as connection:
        for table in reversed(RECEIVING_TABLES):
            await connection.execute(delete(table))
    return sum(counts)


async def _copy(main: AsyncEngine, inbox: AsyncEngine, table: Table) -> None:
    key = list(table.primary_key.columns)
    async with main.connect() as source:
        rows = (await source.execute(select(table).order_by(*key))).mappings().all()
        await source.rollback()
    for start in range(0, len(rows), _COPY_BATCH):
        chunk = [dict(row) for row in rows[start : start + _COPY_BATCH]]
        async with inbox.begin() as target:
            await target.execute(sqlite.insert(table).prefix_with("OR IGNORE"), chunk)
