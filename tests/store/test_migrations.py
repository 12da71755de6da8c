"""One schema history for SQLite and PostgreSQL (run the suite with
MOOTAFLOW_TEST_POSTGRES_URL set to exercise the latter)."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from mootaflow.store.db import downgrade_schema, upgrade_schema


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection)
    return list(compare_metadata(context, SQLModel.metadata))


async def test_upgrade_downgrade_upgrade(engine: AsyncEngine) -> None:
    # The engine fixture already upgraded an empty database to head.
    async with engine.connect() as connection:
        tables = await connection.run_sync(_tables)
    assert {"delivery", "inbox_mutation", "payment", "merchant_order", "invoice"} <= tables

    await downgrade_schema(engine, "base")
    async with engine.connect() as connection:
        assert await connection.run_sync(_tables) == {"alembic_version"}

    await upgrade_schema(engine)
    await upgrade_schema(engine)  # idempotent
    async with engine.connect() as connection:
        assert await connection.run_sync(_tables) == tables


async def test_migrations_match_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []
