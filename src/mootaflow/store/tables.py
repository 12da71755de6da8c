"""The tables. Unique keys here are what make re-sent deliveries harmless."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from mootaflow.domain.moota import Mutation
from mootaflow.domain.payments import InboxState, OrderStatus
from mootaflow.store.types import Money, UTCDateTime


class Delivery(SQLModel, table=True):
    """Audit row: one per request to the webhook endpoint, accepted or not."""

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(sa_type=UTCDateTime, index=True)
    source_ip: str
    verdict: str = Field(index=True)
    status_code: int
    detail: str
    headers: str = Field(sa_type=Text)
    body_bytes: int | None = None
    body_sha256: str | None = None
    # Only for signed deliveries, and redacted: unsigned bodies are not worth keeping.
    body: str | None = Field(default=None, sa_type=Text)
    received: int = 0
    duplicates: int = 0
    quarantined: int = 0


class MutationColumns(SQLModel):
    """The facts of a bank mutation, as both the inbox and the payments keep them."""

    mutation_id: str = Field(primary_key=True, max_length=128)
    workflow_id: str
    account_number: str
    bank_id: str | None = None
    type: str
    amount: Decimal = Field(sa_type=Money, sa_column_kwargs={"name": "amount_sen"})
    mutation_date: datetime = Field(sa_type=UTCDateTime)
    description: str = Field(sa_type=Text)
    note: str = Field(sa_type=Text)
    # The bank gave the day only (mutation_date is its midnight, Jakarta).
    date_only: bool = False
    # When Moota saw the mutation (its created_at), if it said.
    seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @staticmethod
    def values_of(mutation: Mutation) -> dict[str, Any]:
        """Column values for an insert statement (amount under its column name)."""
        return {
            "mutation_id": mutation.mutation_id,
            "workflow_id": mutation.workflow_id,
            "account_number": mutation.account_number,
            "bank_id": mutation.bank_id,
            "type": mutation.type,
            "amount_sen": mutation.amount,
            "mutation_date": mutation.date,
            "description": mutation.description,
            "note": mutation.note,
            "date_only": mutation.date_only,
            "seen_at": mutation.seen_at,
        }

    def to_mutation(self, *, id_derived: bool = False) -> Mutation:
        return Mutation(
            mutation_id=self.mutation_id,
            account_number=self.account_number,
            bank_id=self.bank_id,
            type="CR" if self.type == "CR" else "DB",
            amount=self.amount,
            date=self.mutation_date,
            description=self.description,
            note=self.note,
            id_derived=id_derived,
            date_only=self.date_only,
            seen_at=self.seen_at,
        )


class InboxMutation(MutationColumns, table=True):
    """One row per mutation ever accepted; the primary key is the de-duplication."""

    __tablename__ = "inbox_mutation"
    __table_args__ = (Index("ix_inbox_mutation_state_received", "state", "received_at"),)

    delivery_id: int = Field(foreign_key="delivery.id")
    id_derived: bool = False
    payload: str = Field(sa_type=Text)
    state: str = InboxState.PENDING
    received_at: datetime = Field(sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    start_attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    # webhook or reconcile: the path that brought the mutation first.
    source: str = Field(default="webhook", max_length=16)


class QuarantinedMutation(SQLModel, table=True):
    """An item of a signed delivery that failed validation, kept for operators."""

    __tablename__ = "quarantined_mutation"

    fingerprint: str = Field(primary_key=True, max_length=64)
    delivery_id: int = Field(foreign_key="delivery.id")
    mutation_id: str | None = None
    reason: str = Field(sa_type=Text)
    payload: str = Field(sa_type=Text)
    received_at: datetime = Field(sa_type=UTCDateTime)


class Payment(MutationColumns, table=True):
    """The workflow's record of a mutation; written by activities only."""

    __table_args__ = (
        # Exports walk payments by bank date; lists by status, oldest first.
        Index("ix_payment_mutation_date", "mutation_date", "mutation_id"),
        Index("ix_payment_status_recorded", "status", "recorded_at", "mutation_id"),
    )

    status: str = Field(index=True)
    # The order it pays (the first, when it pays several: see the allocation table).
    order_ref: str | None = Field(default=None, index=True)
    flag_reason: str | None = None
    # Why an ignored mutation is not a payment (debit, test).
    ignored_reason: str | None = None
    candidates: str = "[]"  # JSON list of order refs
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Copied from the inbox row: webhook, or reconcile when only Moota's API showed it.
    source: str = Field(default="webhook", max_length=16)
    # The workflow run that settled it in one step (settle_payment): that run's retry
    # finds its own work, not a re-sent mutation.
    settled_run_id: str | None = Field(default=None, max_length=64)


class Order(SQLModel, table=True):
    """A merchant's order; its amount (base + unique code) identifies the transfer."""

    __tablename__ = "merchant_order"
    __table_args__ = (
        # No two open orders on one account may ask for the same amount.
        Index(
            "uq_open_order_amount",
            "account_number",
            "amount_sen",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    ref: str = Field(primary_key=True, max_length=32)
    ref_key: str = Field(unique=True, max_length=32)
    merchant_ref: str | None = Field(default=None, unique=True, max_length=64)
    account_number: str = Field(index=True)
    bank_id: str | None = None
    base_amount: Decimal = Field(sa_type=Money, sa_column_kwargs={"name": "base_amount_sen"})
    # Moota's kode unik: the last three digits of `amount`.
    unique_code: int
    amount: Decimal = Field(sa_type=Money, sa_column_kwargs={"name": "amount_sen"})
    customer_name: str = ""
    customer_email: str | None = None
    status: str = Field(default=OrderStatus.OPEN, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The mutation whose allocation completed it (the allocation table has them all).
    paid_by_mutation_id: str | None = Field(default=None, index=True, max_length=128)
    # What is still owed: the amount while open, less what was allocated; 0 once paid.
    amount_due: Decimal = Field(sa_type=Money, sa_column_kwargs={"name": "amount_due_sen"})


class InvoiceCounter(SQLModel, table=True):
    """Last invoice number issued per month; bumped in the invoice's own transaction."""

    __tablename__ = "invoice_counter"

    month: str = Field(primary_key=True, max_length=6)  # YYYYMM
    last_number: int = 0


class Invoice(SQLModel, table=True):
    number: str = Field(primary_key=True, max_length=32)
    # The transfer that completed the order (one transfer may complete several).
    mutation_id: str = Field(index=True, max_length=128)
    order_ref: str = Field(unique=True, max_length=32)
    issued_at: datetime = Field(sa_type=UTCDateTime)
    pdf: bytes | None = Field(default=None, sa_type=LargeBinary)


class Notification(SQLModel, table=True):
    """One row per notification a payment owes (customer email, merchant callback)."""

    key: str = Field(
        primary_key=True, max_length=200
    )  # "<NotificationKind>:<mutation_id>", e.g. customer_email:m1
    kind: str
    mutation_id: str = Field(index=True, max_length=128)
    status: str  # sent or failed
    detail: str = Field(default="", sa_type=Text)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class DecisionRecord(SQLModel, table=True):
    """Audit row: the finance decision applied to a flagged payment (one per payment)."""

    __tablename__ = "decision"
    __table_args__ = (Index("ix_decision_decided_at", "decided_at"),)

    mutation_id: str = Field(primary_key=True, max_length=128)
    kind: str  # approve or reject
    decided_by: str
    order_ref: str | None = None
    note: str = Field(default="", sa_type=Text)
    flag_reason: str | None = None
    decided_at: datetime = Field(sa_type=UTCDateTime)
    # Approvals: accept, partial or refund when the amounts differ; the orders and
    # amounts asked for (JSON list of {order_ref, amount}), empty for order_ref alone.
    difference: str | None = Field(default=None, max_length=16)
    allocations: str = Field(default="[]", sa_type=Text)


class Allocation(SQLModel, table=True):
    """The ledger: where each rupiah of a transfer went, and what an order was let off.

    Kinds (domain.allocations.AllocationKind): order (money to an order), surplus
    (an overpayment kept), refund (an overpayment owed back), write_off (a shortfall
    accepted; not money). One row per mutation, order and kind.
    """

    __tablename__ = "allocation"
    __table_args__ = (
        UniqueConstraint("mutation_id", "order_ref", "kind", name="uq_allocation_line"),
        Index("ix_allocation_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    mutation_id: str = Field(index=True, max_length=128)
    order_ref: str = Field(index=True, max_length=32)
    amount: Decimal = Field(sa_type=Money, sa_column_kwargs={"name": "amount_sen"})
    kind: str = Field(max_length=16)
    decided_by: str  # the finance user, or "matching" for an automatic booking
    reason: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Refund(SQLModel, table=True):
    """Money to pay back to a customer: due until finance records the transfer back."""

    __table_args__ = (Index("ix_refund_status_created", "status", "created_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    mutation_id: str = Field(unique=True, max_length=128)  # one refund per transfer
    order_ref: str = Field(max_length=32)
    amount: Decimal = Field(sa_type=Money, sa_column_kwargs={"name": "amount_sen"})
    status: str = Field(max_length=8)  # due or paid
    decided_by: str
    reason: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    paid_reference: str | None = Field(default=None, sa_type=Text)
    paid_by: str | None = None
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PaymentResend(SQLModel, table=True):
    """Audit row: a later workflow run for a mutation whose payment was already past
    matching (Moota re-sent it after Temporal forgot the id, or a decision resumed it).
    Such a run never matches again: it finishes what is owed, or waits for finance."""

    __tablename__ = "payment_resend"

    run_id: str = Field(primary_key=True, max_length=64)  # the Temporal run that found it
    mutation_id: str = Field(index=True, max_length=128)
    status: str  # the payment's status the run found
    resent_at: datetime = Field(sa_type=UTCDateTime)


class MootaAccount(SQLModel, table=True):
    """Per Moota bank account: the reconciliation cursor, the scheduled pass in
    progress and the last crawl a customer's check asked for."""

    __tablename__ = "moota_account"

    bank_id: str = Field(primary_key=True, max_length=128)
    account_number: str = Field(index=True)
    label: str = ""
    # When the last complete scheduled pass began (see domain.reconcile.first_day).
    cursor: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The scheduled pass under way: a run that starts while it is set resumes it.
    pass_id: int | None = None
    refreshed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ReconcilePass(SQLModel, table=True):
    """Audit and progress of one reconciliation pass over one account."""

    __tablename__ = "reconcile_pass"
    __table_args__ = (Index("ix_reconcile_pass_bank_started", "bank_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    bank_id: str = Field(max_length=128)
    account_number: str
    trigger: str  # schedule, check or hand
    first_day: date
    last_day: date | None = None
    per_page: int
    # Mutations Moota saw less than this long ago are left to their webhook.
    min_age_seconds: int = 0
    # The pass's delivery row: what it found hangs off it in the inbox, like a webhook's.
    delivery_id: int = Field(foreign_key="delivery.id")
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The page to list next (the resume point); None once the last one is saved.
    next_page: int | None = 1
    pages: int = 0
    listed: int = 0
    new: int = 0  # found by this pass before any webhook brought them
    known: int = 0
    quarantined: int = 0
    deferred: int = 0  # left to their webhook (seen by Moota moments ago)


class MootaWriteBack(SQLModel, table=True):
    """What mootaflow has written on a Moota mutation, so a retry writes nothing twice."""

    __tablename__ = "moota_write_back"

    mutation_id: str = Field(primary_key=True, max_length=128)
    note: str | None = Field(default=None, sa_type=Text)  # the note last written
    tags: str = "[]"  # JSON list: tags mootaflow has put on the mutation
    status: str  # written, failed or skipped
    detail: str = Field(default="", sa_type=Text)
    updated_at: datetime = Field(sa_type=UTCDateTime)
