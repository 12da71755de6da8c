"""date-only bank dates, Moota's created_at, ignored reasons, kode unik as last digits

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MUTATION_TABLES = ("inbox_mutation", "payment")


def upgrade() -> None:
    for table in _MUTATION_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("date_only", sa.Boolean(), nullable=False, server_default=sa.false())
            )
            batch.add_column(sa.Column("seen_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("payment") as batch:
        batch.add_column(sa.Column("ignored_reason", sa.String(), nullable=True))
    # Debits were the only ignored mutations before this revision.
    op.execute("UPDATE payment SET ignored_reason = 'debit' WHERE status = 'ignored'")
    # The unique code is now Moota's kode unik, the last three digits of the total
    # (amounts are stored in sen).
    op.execute("UPDATE merchant_order SET unique_code = (amount_sen / 100) % 1000")


def downgrade() -> None:
    op.execute("UPDATE merchant_order SET unique_code = (amount_sen - base_amount_sen) / 100")
    with op.batch_alter_table("payment") as batch:
        batch.drop_column("ignored_reason")
    for table in _MUTATION_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("seen_at")
            batch.drop_column("date_only")
