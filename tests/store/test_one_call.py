"""OneCall: a transaction written as a plain function (of a Connection or an ORM Session)
commits when it returns, rolls back when it raises, and on SQLite runs whole on one
thread of its own; a read waits for no writer and commits nothing."""

import asyncio
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from mootaflow.store.db import Sessions, table_of
from mootaflow.store.one_call import OneCall
from mootaflow.store.tables import MootaAccount

ACCOUNTS = table_of(MootaAccount)
NOW = datetime.now(UTC)


def add_account(connection: Connection, bank_id: str, fail: bool = False) -> str:
    connection.execute(
        insert(ACCOUNTS).values(bank_id=bank_id, account_number="1234567890", updated_at=NOW)
    )
    if fail:
        raise RuntimeError("the function failed after its insert")
    return bank_id


async def stored(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        return list((await session.execute(select(ACCOUNTS.c.bank_id))).scalars())


async def test_commits_what_the_function_wrote_and_returns_its_result(
    one_call: OneCall, sessions: Sessions
) -> None:
    assert await one_call.run(add_account, "bank-a") == "bank-a"
    assert await stored(sessions) == ["bank-a"]


async def test_a_function_that_raises_leaves_nothing(one_call: OneCall, sessions: Sessions) -> None:
    with pytest.raises(RuntimeError, match="failed after its insert"):
        await one_call.run(add_account, "bank-b", fail=True)
    assert await stored(sessions) == []
    await one_call.run(add_account, "bank-c")  # the connection is usable afterwards
    assert await stored(sessions) == ["bank-c"]


async def test_every_statement_of_a_call_runs_on_the_one_thread_its_database_uses(
    one_call: OneCall, sessions: Sessions
) -> None:
    """SQLite: the call's own thread, never the event loop's. PostgreSQL: the event
    loop's, where the async engine's connection lives (`run_sync`)."""
    loop_thread = threading.current_thread().name
    threads: list[str] = []

    def on_execute(*_: Any) -> None:
        threads.append(threading.current_thread().name)

    event.listen(one_call.sync_engine, "before_cursor_execute", on_execute)
    try:
        await one_call.run(add_account, "bank-d")

        def count(connection: Connection) -> int:
            return int(connection.execute(select(func.count()).select_from(ACCOUNTS)).scalar_one())

        assert await one_call.run(count) == 1
    finally:
        event.remove(one_call.sync_engine, "before_cursor_execute", on_execute)
    if one_call.sync_engine.dialect.name == "sqlite":
        # BEGIN IMMEDIATE and each statement: none on the event loop's thread.
        assert len(threads) >= 4
        assert all(name.startswith("one-call-sqlite") for name in threads), threads
    else:
        assert len(threads) >= 2  # the insert and the count
        assert set(threads) == {loop_thread}, threads


def add_account_row(session: Session, bank_id: str, fail: bool = False) -> str:
    session.add(MootaAccount(bank_id=bank_id, account_number="1234567890", updated_at=NOW))
    if fail:
        raise RuntimeError("the function failed after its add")
    return bank_id


async def test_a_session_function_commits_on_return_and_rolls_back_on_a_raise(
    one_call: OneCall, sessions: Sessions
) -> None:
    assert await one_call.run_session(add_account_row, "bank-e") == "bank-e"
    with pytest.raises(RuntimeError, match="failed after its add"):
        await one_call.run_session(add_account_row, "bank-f", fail=True)
    assert await stored(sessions) == ["bank-e"]


def bank_ids(session: Session) -> list[str]:
    return [row.bank_id for row in session.scalars(select(MootaAccount))]


def read_then_add(session: Session) -> list[str]:
    found = bank_ids(session)
    add_account_row(session, "bank-h")
    session.flush()  # written in the read's transaction, which is never committed
    return found


async def test_a_read_commits_nothing(one_call: OneCall, sessions: Sessions) -> None:
    await one_call.run_session(add_account_row, "bank-g")
    assert await one_call.read_session(read_then_add) == ["bank-g"]
    assert await stored(sessions) == ["bank-g"]


async def test_a_read_waits_for_no_writer(one_call: OneCall, engine: AsyncEngine) -> None:
    await one_call.run_session(add_account_row, "bank-i")
    # Another transaction holds the writers' lock meanwhile: SQLite's one write lock
    # (BEGIN IMMEDIATE), or on PostgreSQL a table lock every writer waits for.
    async with engine.begin() as writer:
        if writer.dialect.name == "postgresql":
            await writer.execute(text("LOCK TABLE moota_account IN EXCLUSIVE MODE"))
        else:
            await writer.execute(text("SELECT 1"))
        # A read that took the write lock would wait the busy timeout (seconds) here.
        assert await asyncio.wait_for(one_call.read_session(bank_ids), 1) == ["bank-i"]
