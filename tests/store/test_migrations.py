"""One schema history for SQLite and PostgreSQL (run the suite with
MOOTAFLOW_TEST_POSTGRES_URL set to exercise the latter)."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
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


async def test_notification_kinds_are_renamed_with_their_keys(engine: AsyncEngine) -> None:
    # Rows as revision 0003 wrote them; 0004 gives kinds one spelling.
    await downgrade_schema(engine, "0003")
    old = [
        ("customer-email", "m1"),
        ("merchant-callback", "m1"),
        ("finance-notice-0", "m2"),
        ("finance-notice-12", "m2"),
    ]
    async with engine.begin() as connection:
        for kind, mutation_id in old:
            await connection.execute(
                text(
                    "INSERT INTO notification (key, kind, mutation_id, status, detail, updated_at)"
                    " VALUES (:key, :kind, :mutation_id, 'sent', '', CURRENT_TIMESTAMP)"
                ),
                {"key": f"{kind}:{mutation_id}", "kind": kind, "mutation_id": mutation_id},
            )
    await upgrade_schema(engine)
    assert await _notifications(engine) == {
        ("customer_email:m1", "customer_email"),
        ("merchant_callback:m1", "merchant_callback"),
        ("finance:m2", "finance"),
        ("finance_reminder_12:m2", "finance_reminder_12"),
    }
    await downgrade_schema(engine, "0003")
    assert await _notifications(engine) == {(f"{k}:{m}", k) for k, m in old}
    await upgrade_schema(engine)


async def _notifications(engine: AsyncEngine) -> set[tuple[str, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT key, kind FROM notification"))
        return {(key, kind) for key, kind in rows}


async def test_bookings_become_allocations(engine: AsyncEngine) -> None:
    # An order paid one-to-one before revision 0007 (by a transfer Rp 100 short,
    # approved then), and an open one.
    await downgrade_schema(engine, "0006")
    order = (
        "INSERT INTO merchant_order (ref, ref_key, account_number, base_amount_sen, unique_code,"
        " amount_sen, customer_name, status, created_at, expires_at, paid_at,"
        " paid_by_mutation_id) VALUES (:ref, :ref, '1', 15000000, 123, 15012300, '', :status,"
        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, NULL, :paid_by)"
    )
    payment = (
        "INSERT INTO payment (mutation_id, workflow_id, account_number, type, amount_sen,"
        " mutation_date, description, note, status, order_ref, candidates, recorded_at,"
        " updated_at, date_only, source) VALUES ('m1', 'w', '1', 'CR', 15002300,"
        " CURRENT_TIMESTAMP, '', '', 'paid', 'MF-PAID', '[]', CURRENT_TIMESTAMP,"
        " CURRENT_TIMESTAMP, false, 'webhook')"
    )
    async with engine.begin() as connection:
        await connection.execute(text(order), {"ref": "MF-PAID", "status": "paid", "paid_by": "m1"})
        await connection.execute(text(order), {"ref": "MF-OPEN", "status": "open", "paid_by": None})
        await connection.execute(text(payment))
    await upgrade_schema(engine)
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT mutation_id, order_ref, amount_sen, kind FROM allocation ORDER BY kind")
        )
        due = await connection.execute(
            text("SELECT ref, amount_due_sen FROM merchant_order ORDER BY ref")
        )
        assert [tuple(r) for r in rows] == [
            ("m1", "MF-PAID", 15002300, "order"),
            ("m1", "MF-PAID", 10000, "write_off"),
        ]
        assert [tuple(r) for r in due] == [("MF-OPEN", 15012300), ("MF-PAID", 0)]
    await downgrade_schema(engine, "0006")
    await upgrade_schema(engine)
