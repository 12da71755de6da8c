"""What the workflows ask of the activities: each activity's name, input and result.

Pure on purpose (no database, HTTP, SMTP or PDF imports): workflows import this
module, never the implementations beside it, so the sandbox never loads that code.
Implementations register under these names (`@activity.defn(name=REF.name)`), and
`tests/activities/test_contracts.py` holds both sides in step.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from mootaflow.domain.allocations import Allocated, Line
from mootaflow.domain.decisions import Decision
from mootaflow.domain.matching import MatchOutcome
from mootaflow.domain.moota import Mutation
from mootaflow.domain.payments import Booking
from mootaflow.domain.reconcile import BankRef, Trigger

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
    # Every invoice the transfer completed (one per order it paid in full).
    numbers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DecisionInput:
    mutation_id: str
    kind: str
    by: str
    order_ref: str | None
    note: str
    flag_reason: str | None
    difference: str | None = None
    allocations: list[Line] = field(default_factory=list)


@dataclass(frozen=True)
class AllocateInput:
    """A finance approval's money: to these orders, the difference as chosen."""

    mutation_id: str
    lines: list[Line]
    difference: str | None
    by: str
    reason: str
    # The decision's audit row, written in the allocation's transaction. None from
    # runs that record it in a step of its own (record_decision).
    decision: DecisionInput | None = None


@dataclass(frozen=True)
class Booked(Allocated):
    """An allocation, and what the same transaction did besides: the decision's audit
    row, and the invoice of each order it paid in full. Results recorded before have
    neither, and their runs take those steps themselves."""

    recorded: bool = False
    # None too when a PDF failed to render: generate_invoice's turn.
    invoice: InvoiceResult | None = None


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
class Settled:
    """A payment opened, matched and, when matched, booked: one step, one transaction."""

    opened: OpenedPayment
    # None when the run is not the first to get here: an earlier run (re-sent), or an
    # earlier attempt of this one whose answer was lost. `opened` says where it stands.
    outcome: MatchOutcome | None = None
    booking: Booking | None = None  # when matched; not paid: another transfer won the order
    # When this step paid the order: its invoice, issued in the booking's transaction.
    # None from steps recorded before, or when its PDF failed (generate_invoice's turn).
    invoice: InvoiceResult | None = None


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


@dataclass(frozen=True)
class WriteBackInput:
    mutation_id: str


@dataclass(frozen=True)
class WriteBackResult:
    # written, already_written, nothing_to_write (not paid, flagged or rejected),
    # skipped (Moota does not know the mutation) or off
    status: str
    note: str | None = None
    tags: list[str] = field(default_factory=list)
    detail: str = ""


@dataclass(frozen=True)
class PassInput:
    bank: BankRef
    trigger: Trigger
    per_page: int
    min_age_seconds: int


@dataclass(frozen=True)
class PassStart:
    pass_id: int
    next_page: int | None
    first_day: date
    resumed: bool


@dataclass(frozen=True)
class PageInput:
    pass_id: int
    page: int


@dataclass(frozen=True)
class PageResult:
    next_page: int | None
    listed: int
    new: int
    known: int
    quarantined: int
    deferred: int
    started: int
    already_saved: bool


@dataclass(frozen=True)
class PassSummary:
    """A pass's counts as the database holds them (whatever retries happened)."""

    pass_id: int
    bank_id: str
    account_number: str
    trigger: str
    first_day: date
    last_day: date | None
    pages: int
    listed: int
    new: int
    known: int
    quarantined: int
    deferred: int
    finished: bool


# PaymentWorkflow's database steps (activities/payment.py).
RECORD_MUTATION = ActivityRef("record_mutation", Mutation, bool)  # runs from before open_payment
OPEN_PAYMENT = ActivityRef("open_payment", Mutation, OpenedPayment)
MATCH_ORDER = ActivityRef("match_order", Mutation, MatchOutcome)
MARK_PAID = ActivityRef("mark_paid", BookInput, Booking)
# The three above in one transaction (patch settle-at-once).
SETTLE_PAYMENT = ActivityRef("settle_payment", Mutation, Settled)
ALLOCATE = ActivityRef("allocate", AllocateInput, Booked)
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
# Notes and tags on Moota (activities/writeback.py).
WRITE_BACK_TO_MOOTA = ActivityRef("write_back_to_moota", WriteBackInput, WriteBackResult)
# Reconciliation (activities/reconcile.py); the banks' input: account numbers or bank ids.
LIST_MOOTA_BANKS = ActivityRef("list_moota_banks", list[str], list[BankRef])
BEGIN_RECONCILE_PASS = ActivityRef("begin_reconcile_pass", PassInput, PassStart)
RECONCILE_PAGE = ActivityRef("reconcile_page", PageInput, PageResult)
FINISH_RECONCILE_PASS = ActivityRef("finish_reconcile_pass", int, PassSummary)

ALL: tuple[ActivityRef[Any, Any], ...] = (
    RECORD_MUTATION,
    OPEN_PAYMENT,
    MATCH_ORDER,
    MARK_PAID,
    SETTLE_PAYMENT,
    ALLOCATE,
    FLAG_PAYMENT,
    RECORD_DECISION,
    SET_PAYMENT_STATUS,
    GENERATE_INVOICE,
    NOTIFY_CUSTOMER,
    NOTIFY_MERCHANT,
    NOTIFY_FINANCE,
    PURGE_AUDIT_ROWS,
    WRITE_BACK_TO_MOOTA,
    LIST_MOOTA_BANKS,
    BEGIN_RECONCILE_PASS,
    RECONCILE_PAGE,
    FINISH_RECONCILE_PASS,
)
