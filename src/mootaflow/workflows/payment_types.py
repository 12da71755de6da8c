"""PaymentWorkflow's input and state.

Apart from the workflow module on purpose: the sandbox re-imports that module for
every workflow run, and classes made anew each time miss the data converter's
cache (a pydantic TypeAdapter built per payload). Passed through, these are built
once per worker.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from mootaflow.domain.decisions import Decision
from mootaflow.domain.moota import Mutation


@dataclass(frozen=True)
class ApprovalPolicy:
    """How long a flagged payment waits for finance (fixed at start: workflows
    cannot read settings deterministically)."""

    remind_every: timedelta = timedelta(hours=24)
    give_up_after: timedelta = timedelta(hours=72)


@dataclass(frozen=True)
class PaymentInput:
    mutation: Mutation
    approval: ApprovalPolicy = field(default_factory=ApprovalPolicy)
    # Whether the worker writes outcomes back to Moota (a Moota token is set), fixed
    # when the run starts: off, the run does not ask for the write-back at all.
    # Inputs from before the field existed read as on, and ask as they did.
    write_back: bool = True
    # Whether a merchant callback is configured, fixed the same way: off, the run does
    # not ask the worker to send nothing (inputs from before the field read as on;
    # patch quiet-merchant).
    merchant_callback: bool = True


@dataclass
class PaymentState:
    mutation_id: str
    status: str
    order_ref: str | None = None
    flag_reason: str | None = None
    ignored_reason: str | None = None  # debit, test
    candidates: list[str] = field(default_factory=list)
    invoice_number: str | None = None
    notifications: dict[str, str] = field(default_factory=dict)
    decision: Decision | None = None
    reminders: int = 0
    # Signals that could not be applied, with why (typed by hand, too late, ...).
    refused_signals: list[str] = field(default_factory=list)
    # Decisions received and not yet handled (e.g. held until the payment is flagged).
    held_decisions: list[str] = field(default_factory=list)
    # This run found the payment already past matching (a re-send, or resumed for a
    # decision): it finished what was owed instead of matching again.
    resent: bool = False
    # What finance's approval did with the money (orders paid, still owed, refund
    # due, surplus kept), and every invoice it completed.
    allocation: str = ""
    invoice_numbers: list[str] = field(default_factory=list)
