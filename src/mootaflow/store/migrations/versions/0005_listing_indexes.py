"""indexes for paged lists and exports: payments by bank date and by status and
arrival, decisions by time

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 16:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payment_mutation_date", ["mutation_date", "mutation_id"], unique=False
        )
        batch_op.create_index(
            "ix_payment_status_recorded", ["status", "recorded_at", "mutation_id"], unique=False
        )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.create_index("ix_decision_decided_at", ["decided_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_index("ix_decision_decided_at")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_status_recorded")
        batch_op.drop_index("ix_payment_mutation_date")
