"""allocations: the ledger of where a transfer's money went, refunds due, partial payments

Today's one-to-one bookings (an order paid by one mutation) become one `order`
allocation each, of the order's amount; a transfer that differed from its order
(approved before differences were recorded) gets the difference as a write-off or
an accepted surplus, so every rupiah that came in is accounted for.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode names the unnamed unique constraints of 0001 by this rule.
_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
# (table, column) whose uniqueness the ledger replaces: one mutation may now pay
# several orders (and complete several invoices), one order take several mutations.
_UNIQUE = (("merchant_order", "paid_by_mutation_id"), ("invoice", "mutation_id"))
_BY = "migration 0007"


def upgrade() -> None:
    _drop_uniques()
    with op.batch_alter_table("payment") as batch:
        batch.drop_index(
            "uq_payment_paid_order",
            sqlite_where=sa.text("status = 'paid'"),
            postgresql_where=sa.text("status = 'paid'"),
        )
        batch.create_index("ix_payment_order_ref", ["order_ref"], unique=False)
    with op.batch_alter_table("merchant_order") as batch:
        batch.add_column(
            sa.Column("amount_due_sen", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.create_index(
            "ix_merchant_order_paid_by_mutation_id", ["paid_by_mutation_id"], unique=False
        )
    with op.batch_alter_table("invoice") as batch:
        batch.create_index("ix_invoice_mutation_id", ["mutation_id"], unique=False)
    with op.batch_alter_table("decision") as batch:
        batch.add_column(sa.Column("difference", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("allocations", sa.Text(), nullable=False, server_default="[]"))
    op.create_table(
        "allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mutation_id", sa.String(length=128), nullable=False),
        sa.Column("order_ref", sa.String(length=32), nullable=False),
        sa.Column("amount_sen", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mutation_id", "order_ref", "kind", name="uq_allocation_line"),
    )
    with op.batch_alter_table("allocation") as batch:
        batch.create_index("ix_allocation_created_at", ["created_at"], unique=False)
        batch.create_index("ix_allocation_mutation_id", ["mutation_id"], unique=False)
        batch.create_index("ix_allocation_order_ref", ["order_ref"], unique=False)
    op.create_table(
        "refund",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mutation_id", sa.String(length=128), nullable=False),
        sa.Column("order_ref", sa.String(length=32), nullable=False),
        sa.Column("amount_sen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("paid_reference", sa.Text(), nullable=True),
        sa.Column("paid_by", sa.String(), nullable=True),
        sa.Column("paid_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mutation_id"),
    )
    with op.batch_alter_table("refund") as batch:
        batch.create_index("ix_refund_status_created", ["status", "created_at", "id"], unique=False)
    _ledger_from_bookings()


def _drop_uniques() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column in _UNIQUE:
        if sqlite:
            with op.batch_alter_table(table, naming_convention=_NAMES) as batch:
                batch.drop_constraint(f"uq_{table}_{column}", type_="unique")
        else:
            op.drop_constraint(f"{table}_{column}_key", table, type_="unique")


def _ledger_from_bookings() -> None:
    """Open and expired orders owe their amount; each paid order gets its allocation."""
    op.execute("UPDATE merchant_order SET amount_due_sen = amount_sen WHERE status <> 'paid'")
    paid = (
        " FROM merchant_order o JOIN payment p ON p.mutation_id = o.paid_by_mutation_id"
        " WHERE o.status = 'paid'"
    )
    op.execute(
        "INSERT INTO allocation (mutation_id, order_ref, amount_sen, kind, decided_by, reason,"
        " created_at) SELECT p.mutation_id, o.ref,"
        " CASE WHEN p.amount_sen < o.amount_sen THEN p.amount_sen ELSE o.amount_sen END,"
        f" 'order', '{_BY}', 'booked before allocations', COALESCE(o.paid_at, p.updated_at)" + paid
    )
    for kind, gap, sign in (("write_off", "o.amount_sen - p.amount_sen", "<"),
                            ("surplus", "p.amount_sen - o.amount_sen", ">")):  # fmt: skip
        op.execute(
            "INSERT INTO allocation (mutation_id, order_ref, amount_sen, kind, decided_by,"
            f" reason, created_at) SELECT p.mutation_id, o.ref, {gap}, '{kind}', '{_BY}',"
            " 'approved before differences were recorded', COALESCE(o.paid_at, p.updated_at)"
            + paid
            + f" AND p.amount_sen {sign} o.amount_sen"
        )


def downgrade() -> None:
    op.drop_table("refund")
    op.drop_table("allocation")
    with op.batch_alter_table("decision") as batch:
        batch.drop_column("allocations")
        batch.drop_column("difference")
    with op.batch_alter_table("invoice") as batch:
        batch.drop_index("ix_invoice_mutation_id")
    with op.batch_alter_table("merchant_order") as batch:
        batch.drop_index("ix_merchant_order_paid_by_mutation_id")
        batch.drop_column("amount_due_sen")
    # Partially paid orders have no status before this revision: they are open again.
    op.execute("UPDATE merchant_order SET status = 'open' WHERE status = 'partially_paid'")
    with op.batch_alter_table("payment") as batch:
        batch.drop_index("ix_payment_order_ref")
        batch.create_index(
            "uq_payment_paid_order",
            ["order_ref"],
            unique=True,
            sqlite_where=sa.text("status = 'paid'"),
            postgresql_where=sa.text("status = 'paid'"),
        )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column in _UNIQUE:
        with op.batch_alter_table(table) as batch:
            name = f"uq_{table}_{column}" if sqlite else f"{table}_{column}_key"
            batch.create_unique_constraint(name, [column])
