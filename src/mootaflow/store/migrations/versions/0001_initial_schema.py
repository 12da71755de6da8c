"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 06:48:35.854287
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision",
        sa.Column("mutation_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=False),
        sa.Column("order_ref", sa.String(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("flag_reason", sa.String(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("mutation_id"),
    )
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("source_ip", sa.String(), nullable=False),
        sa.Column("verdict", sa.String(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("body_bytes", sa.Integer(), nullable=True),
        sa.Column("body_sha256", sa.String(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_verdict"), ["verdict"], unique=False)

    op.create_table(
        "invoice",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("mutation_id", sa.String(length=128), nullable=False),
        sa.Column("order_ref", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("number"),
        sa.UniqueConstraint("mutation_id"),
        sa.UniqueConstraint("order_ref"),
    )
    op.create_table(
        "invoice_counter",
        sa.Column("month", sa.String(length=6), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month"),
    )
    op.create_table(
        "merchant_order",
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("ref_key", sa.String(length=32), nullable=False),
        sa.Column("merchant_ref", sa.String(length=64), nullable=True),
        sa.Column("account_number", sa.String(), nullable=False),
        sa.Column("bank_id", sa.String(), nullable=True),
        sa.Column("base_amount_sen", sa.BigInteger(), nullable=False),
        sa.Column("unique_code", sa.Integer(), nullable=False),
        sa.Column("amount_sen", sa.BigInteger(), nullable=False),
        sa.Column("customer_name", sa.String(), nullable=False),
        sa.Column("customer_email", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("paid_at", sa.DateTime(), nullable=True),
        sa.Column("paid_by_mutation_id", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("ref"),
        sa.UniqueConstraint("merchant_ref"),
        sa.UniqueConstraint("paid_by_mutation_id"),
        sa.UniqueConstraint("ref_key"),
    )
    with op.batch_alter_table("merchant_order", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_merchant_order_account_number"), ["account_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_merchant_order_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_open_order_amount",
            ["account_number", "amount_sen"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "notification",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("mutation_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_mutation_id"), ["mutation_id"], unique=False
        )

    op.create_table(
        "payment",
        sa.Column("mutation_id", sa.String(length=128), nullable=False),
        sa.Column("workflow_id", sa.String(), nullable=False),
        sa.Column("account_number", sa.String(), nullable=False),
        sa.Column("bank_id", sa.String(), nullable=True),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("amount_sen", sa.BigInteger(), nullable=False),
        sa.Column("mutation_date", sa.DateTime(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("order_ref", sa.String(), nullable=True),
        sa.Column("flag_reason", sa.String(), nullable=True),
        sa.Column("candidates", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("paid_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("mutation_id"),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_payment_paid_order",
            ["order_ref"],
            unique=True,
            sqlite_where=sa.text("status = 'paid'"),
            postgresql_where=sa.text("status = 'paid'"),
        )

    op.create_table(
        "inbox_mutation",
        sa.Column("mutation_id", sa.String(length=128), nullable=False),
        sa.Column("workflow_id", sa.String(), nullable=False),
        sa.Column("account_number", sa.String(), nullable=False),
        sa.Column("bank_id", sa.String(), nullable=True),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("amount_sen", sa.BigInteger(), nullable=False),
        sa.Column("mutation_date", sa.DateTime(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("id_derived", sa.Boolean(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("start_attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["delivery.id"],
        ),
        sa.PrimaryKeyConstraint("mutation_id"),
    )
    with op.batch_alter_table("inbox_mutation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inbox_mutation_state_received", ["state", "received_at"], unique=False
        )

    op.create_table(
        "quarantined_mutation",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("mutation_id", sa.String(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["delivery.id"],
        ),
        sa.PrimaryKeyConstraint("fingerprint"),
    )


def downgrade() -> None:
    op.drop_table("quarantined_mutation")
    with op.batch_alter_table("inbox_mutation", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_mutation_state_received")

    op.drop_table("inbox_mutation")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_payment_paid_order",
            sqlite_where=sa.text("status = 'paid'"),
            postgresql_where=sa.text("status = 'paid'"),
        )
        batch_op.drop_index(batch_op.f("ix_payment_status"))

    op.drop_table("payment")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_mutation_id"))

    op.drop_table("notification")
    with op.batch_alter_table("merchant_order", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_open_order_amount",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.drop_index(batch_op.f("ix_merchant_order_status"))
        batch_op.drop_index(batch_op.f("ix_merchant_order_account_number"))

    op.drop_table("merchant_order")
    op.drop_table("invoice_counter")
    op.drop_table("invoice")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_verdict"))
        batch_op.drop_index(batch_op.f("ix_delivery_received_at"))

    op.drop_table("delivery")
    op.drop_table("decision")
