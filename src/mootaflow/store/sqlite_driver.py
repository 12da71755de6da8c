"""aiosqlite with one thread hop per statement.

aiosqlite runs each call on the connection's own thread and wakes the event loop with
its answer. SQLAlchemy's adapter makes four such calls per statement (open a cursor,
execute, fetch the rows, close the cursor), each a hand-over between threads that costs
the worker CPU and, under load, a wait for the GIL. This cursor does the four in one
call. Everything else (transactions, the connection's thread, errors) is aiosqlite's.
"""

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiosqlite

Description = tuple[tuple[str, None, None, None, None, None, None], ...] | None


class OneHopCursor:
    """The part of aiosqlite's Cursor that SQLAlchemy's adapter uses. A result of up to
    FIRST_ROWS rows comes back with its statement; a longer one keeps its sqlite3 cursor
    open and is fetched in further calls (a streamed report stays streamed)."""

    def __init__(self, connection: "OneHopConnection") -> None:
        self._connection = connection
        self._rows: list[Any] = []
        self._open: sqlite3.Cursor | None = None  # more rows to fetch
        self.description: Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> "OneHopCursor":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> "OneHopCursor":
        return await self._run(sql, parameters, many=False)

    async def executemany(self, sql: str, parameters: Sequence[Sequence[Any]]) -> "OneHopCursor":
        return await self._run(sql, parameters, many=True)

    async def _run(self, sql: str, parameters: Sequence[Any], many: bool) -> "OneHopCursor":
        await self.close()
        outcome: _Outcome = await self._on_thread(
            _run, self._connection._conn, sql, parameters, many
        )
        self._open, self._rows, self.description, self.rowcount, self.lastrowid = outcome
        return self

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        if self._open is not None:
            rows += await self._on_thread(self._open.fetchall)
            await self.close()
        return rows

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self.arraysize if size is None else size
        if len(self._rows) < count and self._open is not None:
            self._rows += await self._on_thread(self._open.fetchmany, count - len(self._rows))
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def fetchone(self) -> Any:
        rows = await self.fetchmany(1)
        return rows[0] if rows else None

    async def close(self) -> None:
        self._rows = []
        if self._open is not None:
            cursor, self._open = self._open, None
            await self._on_thread(cursor.close)

    async def _on_thread(self, fn: Any, *args: Any) -> Any:
        return await self._connection._execute(fn, *args)  # type: ignore[no-untyped-call]


# Rows that come back with their statement; anything past them is fetched on demand.
FIRST_ROWS = 256

_Outcome = tuple[sqlite3.Cursor | None, list[Any], Description, int, int | None]


def _run(
    connection: sqlite3.Connection, sql: str, parameters: Sequence[Any], many: bool
) -> _Outcome:
    """On the connection's thread. The cursor stays open only if rows past FIRST_ROWS
    remain to be fetched."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchmany(FIRST_ROWS + 1) if cursor.description else []
    except BaseException:
        cursor.close()
        raise
    more = len(rows) > FIRST_ROWS
    description, rowcount, lastrowid = cursor.description, cursor.rowcount, cursor.lastrowid
    if not more:
        cursor.close()
    return (cursor if more else None), rows, description, rowcount, lastrowid


class OneHopConnection(aiosqlite.Connection):
    def cursor(self) -> OneHopCursor:  # type: ignore[override]
        return OneHopCursor(self)


def connector(database: Path | str, timeout: float) -> Any:
    """An `async_creator` for create_async_engine: a connection to `database`."""

    async def connect() -> OneHopConnection:
        connection = OneHopConnection(
            lambda: sqlite3.connect(str(database), timeout=timeout), iter_chunk_size=64
        )
        # As SQLAlchemy does for aiosqlite: the thread must not keep the process alive.
        connection._thread.daemon = True
        await connection
        return connection

    return connect
