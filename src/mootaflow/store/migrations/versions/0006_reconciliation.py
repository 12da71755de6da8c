"""reconciliation with Moota's API: mutation source, accounts and cursors, passes, write-back

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MUTATION_TABLES = ("inbox_mutation", "payment")


def upgrade() -> None:
    # Everything before this revision came by webhook.
    for table in _MUTATION_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("source", sa.String(length=16), nullable=False, server_default="webhook")
            )
    op.create_table(
        "moota_account",
        sa.Column("bank_id", sa.String(length=128), nullable=False),
        sa.Column("account_number", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("cursor", sa.DateTime(), nullable=True),
        sa.Column("pass_id", sa.Integer(), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("bank_id"),
    )
    with op.batch_alter_table("moota_account") as batch:
        batch.create_index("ix_moota_account_account_number", ["account_number"], unique=False)
    op.create_table(
        "reconcile_pass",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.String(length=128), nullable=False),
        sa.Column("account_number", sa.String(), nullable=False),
        sa.Column("trigger", sa.String(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("per_page", sa.Integer(), nullable=False),
        sa.Column("min_age_seconds", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("next_page", sa.Integer(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("listed", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("known", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("deferred", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["delivery.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reconcile_pass") as batch:
        batch.create_index(
            "ix_reconcile_pass_bank_started", ["bank_id", "started_at"], unique=False
        )
    op.create_table(
        "moota_write_back",
        sa.Column("mutation_id", sa.String(length=128), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("tags", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("mutation_id"),
    )


def downgrade() -> None:
    op.drop_table("moota_write_back")
    with op.batch_alter_table("reconcile_pass") as batch:
        batch.drop_index("ix_reconcile_pass_bank_started")
    op.drop_table("reconcile_pass")
    with op.batch_alter_table("moota_account") as batch:
        batch.drop_index("ix_moota_account_account_number")
    op.drop_table("moota_account")
    for table in _MUTATION_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("source")
