from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from mootaflow.store import sqlite_driver
from mootaflow.store.db import create_engine

metadata = MetaData()
items = Table("item", metadata, Column("id", Integer, primary_key=True), Column("name", String))


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def thread_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls made on connections' threads, by name of what ran there."""
    calls: list[str] = []
    original = sqlite_driver.OneHopConnection._execute

    async def counted(self: sqlite_driver.OneHopConnection, fn: Any, *args: Any) -> Any:
        calls.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(sqlite_driver.OneHopConnection, "_execute", counted)
    return calls


async def test_a_statement_is_one_call_on_the_connections_thread(
    engine: AsyncEngine, thread_calls: list[str]
) -> None:
    async with engine.begin() as connection:
        thread_calls.clear()
        inserted = await connection.execute(insert(items).values(id=1, name="satu"))
        assert inserted.rowcount == 1 and inserted.inserted_primary_key == (1,)
        assert thread_calls == ["_run"]
        rows = (await connection.execute(select(items.c.id, items.c.name))).all()
        assert [tuple(row) for row in rows] == [(1, "satu")]
        assert thread_calls == ["_run", "_run"]


async def test_many_rows_are_all_returned_and_a_stream_is_fetched_in_parts(
    engine: AsyncEngine, thread_calls: list[str]
) -> None:
    count = sqlite_driver.FIRST_ROWS * 3
    async with engine.begin() as connection:
        await connection.execute(insert(items), [{"id": i, "name": f"n{i}"} for i in range(count)])
    async with engine.connect() as connection:
        everything = (await connection.execute(select(items.c.id).order_by(items.c.id))).all()
        assert [row.id for row in everything] == list(range(count))
        thread_calls.clear()
        streamed = await connection.stream(
            select(items.c.id).order_by(items.c.id).execution_options(yield_per=100)
        )
        seen = [row.id async for row in streamed]
    assert seen == list(range(count))
    # The first rows came with the statement; the rest in more than one further call.
    assert thread_calls[0] == "_run" and thread_calls.count("fetchmany") > 1


async def test_an_error_is_sqlalchemys_and_the_connection_goes_on(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(insert(items).values(id=1, name="satu"))
        with pytest.raises(IntegrityError):
            await connection.execute(insert(items).values(id=1, name="lagi"))
        assert (await connection.execute(text("SELECT count(*) FROM item"))).scalar_one() == 1
        await connection.rollback()
