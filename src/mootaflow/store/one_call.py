"""Transactions written as plain functions of a Connection (or an ORM Session), each
run in one call.

Through the async engine every statement is a hand-over to aiosqlite's thread and back,
wrapped in the async session's greenlet machinery. For the webhook's transaction
(BEGIN, two inserts, COMMIT) that cost 5.3 ms where the same transaction run whole on
a thread of its own took 2.1 ms, and under load each hand-over may also wait for the
GIL. On SQLite the function therefore runs on a dedicated thread with a synchronous
engine (the same pragmas and BEGIN IMMEDIATE); on PostgreSQL it runs on the async
engine's connection (`run_sync`), as asyncpg has no thread to hop to.

The worker's payment steps are functions of a Session (`run_session`, `read_session`):
settling a payment is about twenty statements, and read from an idle worker each
hand-over also waits for the event loop to wake.
"""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Concatenate, ParamSpec, TypeVar

import sqlalchemy
from sqlalchemy import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from mootaflow.store.db import READ_ONLY, configure_sqlite

P = ParamSpec("P")
T = TypeVar("T")


async def in_session(
    session: AsyncSession,
    fn: Callable[Concatenate[Connection, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """`fn(connection, *args)` in `session`'s transaction, with the other statements of
    a caller that needs them together."""
    connection = await session.connection()
    return await connection.run_sync(fn, *args, **kwargs)


class OneCall:
    """Runs `fn(connection, *args)` (or `fn(session, *args)`) in a transaction of
    `engine`'s database, committed when `fn` returns and rolled back when it raises."""

    def __init__(self, engine: AsyncEngine, lock_timeout_seconds: float) -> None:
        self._engine = engine
        self._sync: Engine | None = None
        self._thread: ThreadPoolExecutor | None = None
        if engine.dialect.name == "sqlite":
            self._sync = sqlalchemy.create_engine(
                engine.url.set(drivername="sqlite"),
                pool_size=1,
                max_overflow=0,
                # Used on the one thread below; the pool may still close it elsewhere.
                connect_args={"check_same_thread": False, "timeout": lock_timeout_seconds},
            )
            configure_sqlite(self._sync, lock_timeout_seconds)
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="one-call-sqlite")

    async def run(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if self._sync is None:
            async with self._engine.begin() as connection:
                return await connection.run_sync(fn, *args, **kwargs)
        sync = self._sync

        def transaction() -> T:
            with sync.begin() as connection:
                return fn(connection, *args, **kwargs)

        return await self._on_thread(transaction)

    async def run_session(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`fn(session, *args)` in a transaction, committed when it returns."""
        if self._sync is None:
            async with (
                AsyncSession(self._engine, expire_on_commit=False) as session,
                session.begin(),
            ):
                return await session.run_sync(fn, *args, **kwargs)
        sync = self._sync

        def transaction() -> T:
            with Session(sync, expire_on_commit=False) as session, session.begin():
                return fn(session, *args, **kwargs)

        return await self._on_thread(transaction)

    async def read_session(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`fn(session, *args)` in a read-only transaction (SQLite: takes no write lock);
        nothing is committed."""
        if self._sync is None:
            async with AsyncSession(self._engine, expire_on_commit=False) as session:
                await session.connection(execution_options=READ_ONLY)
                return await session.run_sync(fn, *args, **kwargs)
        sync = self._sync

        def read() -> T:
            with Session(sync, expire_on_commit=False) as session:
                session.connection(execution_options=READ_ONLY)
                return fn(session, *args, **kwargs)

        return await self._on_thread(read)

    async def _on_thread(self, call: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, call)

    @property
    def sync_engine(self) -> Engine:
        """The engine the functions' statements run on (for event listeners)."""
        return self._engine.sync_engine if self._sync is None else self._sync

    async def close(self) -> None:
        if self._sync is not None and self._thread is not None:
            await self._on_thread(self._sync.dispose)
            self._thread.shutdown()
