"""The receiving tables' own SQLite file: upgrading from one file keeps every row."""

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from mootaflow.domain.moota import load_delivery, parse_delivery
from mootaflow.domain.payments import InboxState
from mootaflow.domain.settings import Settings
from mootaflow.store import inbox
from mootaflow.store.databases import RECEIVING_TABLES, open_databases
from mootaflow.store.db import create_engine, session_factory, upgrade_schema
from mootaflow.store.one_call import in_session
from mootaflow.store.tables import Delivery, InboxMutation, QuarantinedMutation
from tests.support.moota import body_of, mutation


async def counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        return {
            table.name: int(
                (await connection.execute(select(func.count()).select_from(table))).scalar_one()
            )
            for table in RECEIVING_TABLES
        }


async def test_rows_a_one_file_install_acknowledged_move_to_the_inbox_file(
    tmp_path: Path,
) -> None:
    main_url = f"sqlite+aiosqlite:///{tmp_path / 'mootaflow.db'}"
    # Before the split: everything in one file, a mutation acknowledged, not started.
    old = create_engine(main_url)
    await upgrade_schema(old)
    items = load_delivery(body_of(mutation(), mutation(), {"mutation_id": "broken"}))
    facts = inbox.RequestFacts(datetime.now(UTC), "127.0.0.1", {}, None, None)
    async with session_factory(old).begin() as session:
        [saved] = await in_session(
            session, inbox.save_accepted, [inbox.Incoming(facts, parse_delivery(items), items)]
        )
    before = await counts(old)
    await old.dispose()
    assert before["inbox_mutation"] == 2 and before["quarantined_mutation"] == 1

    settings = Settings(_env_file=None, database_url=main_url)
    for _ in range(2):  # a second start moves nothing and loses nothing
        async with open_databases(settings) as databases:
            assert databases.split
            assert await counts(databases.engine) == dict.fromkeys(before, 0)
            assert await counts(databases.inbox_engine) == before
            async with databases.inbox() as session:
                pending = await inbox.pending_mutations(session, 10)
                delivery = await session.get(Delivery, saved.delivery_id)
                rows = (await session.execute(select(InboxMutation))).scalars().all()
                quarantined = (await session.execute(select(QuarantinedMutation))).scalars()
            assert {m.mutation_id for m in pending} == {m.mutation_id for m in saved.new}
            assert delivery is not None and delivery.received == 3
            assert all(row.state == InboxState.PENDING for row in rows)
            assert [q.delivery_id for q in quarantined] == [saved.delivery_id]
    assert (tmp_path / "mootaflow-inbox.db").exists()
