"""What the workflows ask of the activities: each activity's name, input and result.

Pure on purpose (no database, HTTP, SMTP or PDF imports): workflows import this
module, never the implementations beside it, so the sandbox never loads that code.
Implementations register under these names (`@activity.defn(name=REF.name)`), and
`tests/activities/test_contracts.py` holds both sides in step.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from mootaflow.domain.decisions import Decision
from mootaflow.domain.matching import MatchOutcome
from mootaflow.domain.moota import Mutation
from mootaflow.domain.payments import Booking

In = TypeVar("In")
Out = TypeVar("Out")


@dataclass(frozen=True)
class ActivityRef(Generic[In, Out]):
    """An activity as a workflow calls it: by name, with its types for the converter."""

    name: str
    input_type: type[In]
    result_type: type[Out]


@dataclass(frozen=True)
class BookInput:
    mutation_id: str
    order_ref: str


@dataclass(frozen=True)
class FlagInput:
    mutation_id: str
    reason: str
    candidates: list[str]
    order_ref: str | None = None


@dataclass(frozen=True)
class InvoiceResult:
    number: str


@dataclass(frozen=True)
class DecisionInput:
    mutation_id: str
    kind: str
    by: str
    order_ref: str | None
    note: str
    flag_reason: str | None


@dataclass(frozen=True)
class StatusInput:
    mutation_id: str
    status: str


@dataclass(frozen=True)
class OpenedPayment:
    """Where a payment stands when its workflow run begins."""

    created: bool
    status: str
    order_ref: str | None = None
    flag_reason: str | None = None
    candidates: list[str] = field(default_factory=list)
    decision: Decision | None = None
    resent: bool = False  # an earlier run got past matching: this one must not match again
    ignored_reason: str | None = None


@dataclass(frozen=True)
class NotifyResult:
    status: str  # sent, already_sent, skipped
    detail: str


@dataclass(frozen=True)
class FinanceNotice:
    mutation_id: str
    workflow_id: str
    reminder: int  # 0 for the first notice


@dataclass(frozen=True)
class PurgeResult:
    cutoff: datetime
    deliveries: int
    inbox_rows: int
    quarantined: int


# PaymentWorkflow's database steps (activities/payment.py).
RECORD_MUTATION = ActivityRef("record_mutation", Mutation, bool)  # runs from before open_payment
OPEN_PAYMENT = ActivityRef("open_payment", Mutation, OpenedPayment)
MATCH_ORDER = ActivityRef("match_order", Mutation, MatchOutcome)
MARK_PAID = ActivityRef("mark_paid", BookInput, Booking)
FLAG_PAYMENT = ActivityRef("flag_payment", FlagInput, type(None))
RECORD_DECISION = ActivityRef("record_decision", DecisionInput, type(None))
SET_PAYMENT_STATUS = ActivityRef("set_payment_status", StatusInput, type(None))
GENERATE_INVOICE = ActivityRef("generate_invoice", str, InvoiceResult)
# Telling people (activities/notify.py); the input is the mutation id.
NOTIFY_CUSTOMER = ActivityRef("notify_customer", str, NotifyResult)
NOTIFY_MERCHANT = ActivityRef("notify_merchant", str, NotifyResult)
NOTIFY_FINANCE = ActivityRef("notify_finance", FinanceNotice, NotifyResult)
# The audit purge (activities/retention.py); the input is the retention in days.
PURGE_AUDIT_ROWS = ActivityRef("purge_audit_rows", int, PurgeResult)

ALL: tuple[ActivityRef[Any, Any], ...] = (
    RECORD_MUTATION,
    OPEN_PAYMENT,
    MATCH_ORDER,
    MARK_PAID,
    FLAG_PAYMENT,
    RECORD_DECISION,
    SET_PAYMENT_STATUS,
    GENERATE_INVOICE,
    NOTIFY_CUSTOMER,
    NOTIFY_MERCHANT,
    NOTIFY_FINANCE,
    PURGE_AUDIT_ROWS,
)
