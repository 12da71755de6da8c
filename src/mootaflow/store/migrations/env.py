"""Alembic environment: runs on the connection mootaflow hands it (see store/db.py),
or, from the alembic CLI, on MOOTAFLOW_DATABASE_URL."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from mootaflow.store import tables  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_from_cli() -> None:
    from mootaflow.domain.settings import load_settings
    from mootaflow.store.db import create_engine

    async def run() -> None:
        engine = create_engine(load_settings().database_url)
        async with engine.begin() as connection:
            await connection.run_sync(run_on)
        await engine.dispose()

    asyncio.run(run())


connection = context.config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    run_from_cli()
