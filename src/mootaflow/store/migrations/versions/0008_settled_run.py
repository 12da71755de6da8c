"""settled_run_id: the workflow run that opened, matched and booked a payment at once

A run settles its payment in one step (`settle_payment`); when that step runs again
after its transaction committed (the worker died before Temporal heard back), the
run finds its own work here and is not taken for a re-sent mutation.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("payment", sa.Column("settled_run_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payment") as batch:
        batch.drop_column("settled_run_id")
