"""The tables. Unique keys here are what make re-sent deliveries harmless."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from mootaflow.store.types import Money, UTCDateTime


class Delivery(SQLModel, table=True):
    """Audit row: one per request to the webhook endpoint, accepted or not."""

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    source_ip: str
    verdict: str = Field(index=True)
    status_code: int
    detail: str
    headers: str = Field(sa_column=Column(Text, nullable=False))
    body_bytes: int | None = None
    body_sha256: str | None = None
    # Only for signed deliveries, and redacted: unsigned bodies are not worth keeping.
    body: str | None = Field(default=None, sa_column=Column(Text))
    received: int = 0
    duplicates: int = 0
    quarantined: int = 0


class InboxMutation(SQLModel, table=True):
    """One row per mutation ever accepted; the primary key is the de-duplication."""

    __tablename__ = "inbox_mutation"
    __table_args__ = (Index("ix_inbox_mutation_state_received", "state", "received_at"),)

    mutation_id: str = Field(primary_key=True, max_length=128)
    delivery_id: int = Field(foreign_key="delivery.id")
    workflow_id: str
    id_derived: bool = False
    account_number: str
    bank_id: str | None = None
    type: str
    amount: Decimal = Field(sa_column=Column("amount_sen", Money(), nullable=False))
    mutation_date: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    description: str = Field(sa_column=Column(Text, nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    # pending: acknowledged, workflow not yet started; started: Temporal has it.
    state: str = "pending"
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    start_attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))


class QuarantinedMutation(SQLModel, table=True):
    """An item of a signed delivery that failed validation, kept for operators."""

    __tablename__ = "quarantined_mutation"

    fingerprint: str = Field(primary_key=True, max_length=64)
    delivery_id: int = Field(foreign_key="delivery.id")
    mutation_id: str | None = None
    reason: str = Field(sa_column=Column(Text, nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Payment(SQLModel, table=True):
    """The workflow's record of a mutation; written by activities only."""

    mutation_id: str = Field(primary_key=True, max_length=128)
    workflow_id: str
    account_number: str
    bank_id: str | None = None
    type: str
    amount: Decimal = Field(sa_column=Column("amount_sen", Money(), nullable=False))
    mutation_date: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    description: str = Field(sa_column=Column(Text, nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(index=True)
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
