"""payment_resend: later workflow runs for payments already past matching

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_resend",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("mutation_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("resent_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("run_id"),
    )
    with op.batch_alter_table("payment_resend", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_resend_mutation_id"), ["mutation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_resend", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_resend_mutation_id"))
    op.drop_table("payment_resend")
