"""State and steps PaymentWorkflow's flows share: booking, invoicing, notifying, and
applying one finance decision.

Workflow code (runs in the sandbox, deterministic). Both flows in payment.py, the
current one and the one of runs started before it, call these in the same order
the original code did: reordering a step here changes history for every run.
"""

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, CancelledError, FailureError

with workflow.unsafe.imports_passed_through():
    import mootaflow.workflows.patches as patches
    import mootaflow.workflows.retries as retries
    import mootaflow.workflows.search_attributes as sa
    from mootaflow.activities import contracts as steps
    from mootaflow.activities.contracts import (
        ActivityRef,
        AllocateInput,
        BookInput,
        DecisionInput,
        FinanceNotice,
        InvoiceResult,
        StatusInput,
        WriteBackInput,
    )
    from mootaflow.domain import decisions
    from mootaflow.domain.decisions import (
        Decision,
        DecisionOutcome,
        DecisionRequest,
        InvalidDecision,
        resolve,
    )
    from mootaflow.domain.matching import FlagReason
    from mootaflow.domain.payments import NotificationKind, PaymentStatus, finance_notice
    from mootaflow.workflows.payment_types import ApprovalPolicy, PaymentState

In = TypeVar("In")
Out = TypeVar("Out")


@dataclass
class Pending:
    """A decision received (by Update or signal) and not yet handled."""

    request: DecisionRequest
    via: Literal["update", "signal", "resume"]
    outcome: DecisionOutcome | None = None


class PaymentSteps:
    def __init__(self) -> None:
        self._state = PaymentState(mutation_id="", status=PaymentStatus.RECEIVED)
        self._reason = FlagReason.NO_MATCH
        self._policy = ApprovalPolicy()
        self._amount = ""
        self._flagged_at: datetime | None = None
        # Decisions in the order received; the wait takes them one at a time.
        self._pending: list[Pending] = []
        self._writing_back: asyncio.Task[None] | None = None
        self._write_back_on = True
        self._merchant_callback_on = True
        # Patch settle-at-once: one step to settle, one upsert per change of status.
        self._at_once = False
        # Patch baseline-2026-11 (set by PaymentWorkflow): see _patched.
        self._baseline = False
        self._order_shown: str | None = None

    async def _apply(self, pending: Pending) -> bool:
        """True once the decision took effect; otherwise its sender learns why not."""
        request = pending.request
        if self._state.decision is not None:
            self._answer_refused(pending, decisions.ALREADY_DECIDED, _decided(self._state))
            return False
        try:
            decision = resolve(request, self._reason, self._state.order_ref)
        except InvalidDecision as exc:
            self._answer_refused(pending, decisions.INVALID, str(exc))
            return False
        if pending.via == "update" and self._patched(patches.LOCAL_FIRST):
            # End the workflow task here: an Update is accepted (what the API waits
            # for, MOOTAFLOW_DECISION_ACCEPT_SECONDS) when its task completes, and the
            # steps that apply the decision run in the worker, within the task. Not
            # only for speed: a task that fails to complete (an activity finished
            # meanwhile, the run ending in it: UnhandledCommand) loses its acceptance,
            # and the steps it ran (booked, emailed) would belong to no decision.
            await workflow.sleep(_ACCEPTED_FIRST)
        if decision.kind == "reject":
            await self._record(decision)
            await self._step(
                steps.SET_PAYMENT_STATUS,
                StatusInput(self._state.mutation_id, PaymentStatus.REJECTED),
                retries.DATABASE,
            )
            self._state.decision = decision
            self._set_status(PaymentStatus.REJECTED)
            self._answer(pending, "rejected")
            self._write_back()
            return True
        assert decision.order_ref is not None
        if self._patched(patches.ALLOCATIONS):
            return await self._allocate(pending, decision)
        try:
            booked = await self._step(
                steps.MARK_PAID,
                BookInput(self._state.mutation_id, decision.order_ref),
                retries.DATABASE,
            )
        except ActivityError as error:
            unknown = isinstance(error.cause, FailureError) and _type(error) == "UnknownOrder"
            code = decisions.UNKNOWN_ORDER if unknown else decisions.BOOKING_FAILED
            self._answer_refused(pending, code, f"approve by {request.by} failed: {_cause(error)}")
            return False
        if not booked.paid:
            self._answer_refused(
                pending,
                decisions.ORDER_ALREADY_PAID,
                f"approve by {request.by} failed: order {decision.order_ref} "
                f"is already paid by mutation {booked.paid_by}",
            )
            return False
        self._state.decision = decision
        await self._record(decision)
        self._set_order(decision.order_ref)
        await self._after_paid(pending)
        return True

    async def _allocate(self, pending: Pending, decision: Decision) -> bool:
        """Allocate the transfer as decided; True once it took effect."""
        request = pending.request
        arg = AllocateInput(
            self._state.mutation_id,
            decision.lines(),
            decision.difference,
            request.by,
            decision.note,
            self._decision_input(decision),
        )
        try:
            done = await self._step(steps.ALLOCATE, arg, retries.DATABASE)
        except ActivityError as error:
            detail = f"approve by {request.by} failed: {_cause(error)}"
            self._answer_refused(pending, decisions.BOOKING_FAILED, detail)
            return False
        if not done.done:
            code = _ALLOCATION_REFUSALS.get(done.refusal or "", decisions.BOOKING_FAILED)
            self._answer_refused(pending, code, f"approve by {request.by} refused: {done.detail}")
            return False
        self._state.decision = decision
        if not done.recorded:  # a result recorded before allocate wrote it itself
            await self._record(decision)
        self._set_order(decision.order_ref or done.completed[0])
        self._state.allocation = done.describe()
        self._set_status(PaymentStatus.PAID)
        if done.completed:
            # Issued by allocate itself, unless recorded before it did, or a PDF failed.
            invoice = done.invoice
            if invoice is None:
                invoice = await self._step(
                    steps.GENERATE_INVOICE, self._state.mutation_id, retries.INVOICE
                )
            self._state.invoice_number = invoice.number or None
            self._state.invoice_numbers = list(invoice.numbers)
        self._answer(pending, "booked")
        # The customer and the merchant learn what was paid, what is still due
        # and what will be refunded (the activities read it from the ledger).
        self._write_back()
        await self._tell_customer_and_merchant()
        return True

    async def _after_paid(
        self, pending: Pending | None = None, invoice: InvoiceResult | None = None
    ) -> None:
        self._set_status(PaymentStatus.PAID)
        if invoice is None:
            invoice = await self._step(
                steps.GENERATE_INVOICE, self._state.mutation_id, retries.INVOICE
            )
        self._state.invoice_number = invoice.number or None
        if pending is not None:
            # Booked and invoiced: that is the answer; notifications may take days.
            self._answer(pending, "booked")
        self._write_back()
        await self._tell_customer_and_merchant()

    async def _tell_customer_and_merchant(self) -> None:
        # Independent of each other: neither waits for the other's outages.
        notices = [self._notify(NotificationKind.CUSTOMER_EMAIL, steps.NOTIFY_CUSTOMER)]
        if self._merchant_callback_on or not self._patched(patches.QUIET_MERCHANT):
            notices.append(self._notify(NotificationKind.MERCHANT_CALLBACK, steps.NOTIFY_MERCHANT))
        else:
            # No callback configured when the run started: what notify_merchant answers.
            self._state.notifications[NotificationKind.MERCHANT_CALLBACK] = "skipped"
        await asyncio.gather(*notices)

    def _write_back(self) -> None:
        """Bring the note and tags on Moota to the payment's state, beside the rest:
        nothing waits for Moota (the activity reads the state from the database and
        is off without a Moota token); the run waits for it only before it ends.

        One at a time: a write-back still retrying (Moota down) is superseded by the
        next one, never raced by it."""
        if not self._patched(patches.MOOTA_WRITE_BACK):
            return
        if not self._write_back_on and self._patched(patches.LOCAL_FIRST):
            # Off when the run started (no Moota token): nothing to ask the worker.
            self._state.notifications[NotificationKind.MOOTA_WRITE_BACK] = "off"
            return
        previous = self._writing_back
        if previous is not None and not previous.done():
            previous.cancel()
        self._writing_back = asyncio.create_task(self._write_back_after(previous))

    async def _write_back_after(self, previous: "asyncio.Task[None] | None") -> None:
        if previous is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await previous
        name = NotificationKind.MOOTA_WRITE_BACK
        try:
            arg = WriteBackInput(self._state.mutation_id)
            result = await self._step(steps.WRITE_BACK_TO_MOOTA, arg, retries.WRITE_BACK)
            self._state.notifications[name] = result.status
        except ActivityError as error:
            # Nobody waits for it: the failure is visible in the state and the history.
            self._state.notifications[name] = f"failed: {_cause(error)}"

    async def _write_back_done(self) -> None:
        """Before the run ends: let the last write-back finish."""
        if self._writing_back is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._writing_back

    async def _notify(self, name: str, activity: ActivityRef[str, steps.NotifyResult]) -> None:
        try:
            result = await self._step(activity, self._state.mutation_id, retries.NOTIFICATION)
            self._state.notifications[name] = result.status
        except ActivityError as error:
            # The payment stays paid; the failure is visible in the state, the
            # notification table and this workflow's history.
            self._state.notifications[name] = f"failed: {_cause(error)}"

    async def _notify_finance(self, reminder: int) -> None:
        notice = FinanceNotice(self._state.mutation_id, workflow.info().workflow_id, reminder)
        name = finance_notice(reminder)
        try:
            result = await self._step(steps.NOTIFY_FINANCE, notice, retries.FINANCE_NOTICE)
            self._state.notifications[name] = result.status
        except ActivityError as error:
            if isinstance(error.cause, CancelledError) and self._patched(
                patches.REMINDERS_CALLED_OFF
            ):
                # Decided while the notice was being sent: the reminders end here.
                raise asyncio.CancelledError from error
            self._state.notifications[name] = f"failed: {_cause(error)}"

    async def _record(self, decision: Decision) -> None:
        await self._step(steps.RECORD_DECISION, self._decision_input(decision), retries.DATABASE)

    def _decision_input(self, decision: Decision) -> DecisionInput:
        return DecisionInput(
            self._state.mutation_id,
            decision.kind,
            decision.by,
            decision.order_ref,
            decision.note,
            self._state.flag_reason,
            decision.difference,
            list(decision.allocations),
        )

    async def _step(self, activity: ActivityRef[In, Out], arg: In, step: retries.Step) -> Out:
        if step.local_first and self._patched(patches.LOCAL_FIRST):
            return await retries.execute_local_first(activity, arg, step)
        return await retries.execute(activity, arg, step)

    def _patched(self, patch_id: str) -> bool:
        """workflow.patched, but a baseline-2026-11 run takes the patches folded into
        it without asking (each ask costs a marker and a search attribute upsert)."""
        if self._baseline and patch_id in patches.IN_BASELINE_2026_11:
            return True
        return workflow.patched(patch_id)

    def _answer(self, pending: Pending, result: Literal["booked", "rejected"]) -> None:
        request, state = pending.request, self._state
        pending.outcome = DecisionOutcome(
            result,
            request.kind,
            request.by,
            state.status,
            order_ref=state.order_ref,
            invoice_number=state.invoice_number,
            detail=state.allocation,
        )
        self._count(pending, result)

    def _answer_refused(self, pending: Pending, refusal: str, detail: str) -> None:
        request, state = pending.request, self._state
        decided_by = state.decision.by if state.decision is not None else None
        pending.outcome = DecisionOutcome(
            "refused",
            request.kind,
            request.by,
            state.status,
            order_ref=state.order_ref,
            refusal=refusal,
            detail=detail,
            decided_by=decided_by if refusal == decisions.ALREADY_DECIDED else None,
        )
        if pending.via == "signal":
            # Nobody waits for a signal's answer: the status query lists it instead.
            self._refuse(f"{request.kind} by {request.by} ignored: {detail}")
        self._count(pending, "refused")

    def _count(self, pending: Pending, result: str) -> None:
        workflow.metric_meter().create_counter(
            "mootaflow_decisions", "Finance decisions handled, by kind, channel and result."
        ).with_additional_attributes(
            {"kind": pending.request.kind, "via": pending.via, "result": result}
        ).add(1)

    def _refuse(self, message: str) -> None:
        workflow.logger.warning(message)
        self._state.refused_signals.append(message)

    def _flagged(
        self,
        reason: FlagReason,
        candidates: list[str],
        order_ref: str | None,
        status: PaymentStatus = PaymentStatus.AWAITING_APPROVAL,
    ) -> None:
        self._reason = reason
        self._flagged_at = workflow.now()
        self._state.flag_reason = reason.value
        self._state.candidates = list(candidates)
        if order_ref:
            self._set_order(order_ref)
        if not self._at_once:
            workflow.upsert_search_attributes([sa.FLAG_REASON.value_set(reason.value)])
        self._set_status(status, flag=reason.value)

    def _set_order(self, order_ref: str) -> None:
        self._state.order_ref = order_ref
        if not self._at_once:  # else the status change that follows shows it
            workflow.upsert_search_attributes([sa.ORDER_REF.value_set(order_ref)])

    def _set_status(self, status: PaymentStatus, flag: str | None = None) -> None:
        self._state.status = status
        attributes = [sa.PAYMENT_STATUS.value_set(status)]
        if self._at_once:
            # One upsert (one history event, one visibility write) with what changed.
            if (order_ref := self._state.order_ref) and order_ref != self._order_shown:
                attributes.append(sa.ORDER_REF.value_set(order_ref))
                self._order_shown = order_ref
            if flag is not None:
                attributes.append(sa.FLAG_REASON.value_set(flag))
        workflow.upsert_search_attributes(attributes)
        # The UI's "current details": what this payment is and where it stands.
        parts = [status, self._amount]
        if self._state.order_ref:
            parts.append(f"order {self._state.order_ref}")
        if status in decisions.DECIDABLE and self._state.flag_reason:
            parts.append(f"flag {self._state.flag_reason}")
        if status == PaymentStatus.IGNORED and self._state.ignored_reason:
            parts.append(self._state.ignored_reason)
        workflow.set_current_details(" · ".join(parts))


# A timer just long enough to end the workflow task (see _apply).
_ACCEPTED_FIRST = timedelta(milliseconds=1)

# The allocate activity's refusals, as decision refusals.
_ALLOCATION_REFUSALS = {
    "unknown_order": decisions.UNKNOWN_ORDER,
    "order_already_paid": decisions.ORDER_ALREADY_PAID,
    "does_not_add_up": decisions.DOES_NOT_ADD_UP,
}


def _decided(state: PaymentState) -> str:
    decision = state.decision
    assert decision is not None
    verb = "approved" if decision.kind == "approve" else "rejected"
    return f"payment {state.mutation_id} was already {verb} by {decision.by}"


def _cause(error: ActivityError) -> str:
    return error.cause.message if isinstance(error.cause, FailureError) else str(error)


def _type(error: ActivityError) -> str | None:
    cause = error.cause
    return getattr(cause, "type", None)
