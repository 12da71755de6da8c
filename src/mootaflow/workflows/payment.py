"""PaymentWorkflow: one run per Moota mutation, id moota-mutation-<mutation_id>.

open → match ─matched─► mark paid → invoice → notify customer and merchant
              ├─flagged─► wait for finance: approve / reject (Updates, or signals
              │           typed in the Web UI), reminders beside the wait, then
              │           "unresolved" (still decidable); approved → mark paid → ...
              └─debit, test account─► ignored (reason recorded)
A run that finds its payment already past matching (Moota re-sent it after
Temporal forgot the id, or a decision resumed it) never matches again: it
finishes what is owed (invoice, notifications), waits for finance, or ends.

Runs started before patch DECISIONS_V2 keep their original path (payment_legacy.py).
"""

import asyncio
import contextlib
import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    import mootaflow.workflows.patches as patches
    import mootaflow.workflows.retries as retries
    import mootaflow.workflows.search_attributes as sa
    from mootaflow.activities import contracts as steps
    from mootaflow.activities.contracts import (
        BookInput,
        FlagInput,
        InvoiceResult,
        OpenedPayment,
        Settled,
        StatusInput,
    )
    from mootaflow.domain import decisions
    from mootaflow.domain.decisions import (
        DecisionOutcome,
        DecisionRequest,
        InvalidDecision,
        Kind,
        check_amounts,
        read_request,
        resolve,
    )
    from mootaflow.domain.matching import FlagReason, MatchOutcome
    from mootaflow.domain.money import format_rupiah
    from mootaflow.domain.moota import Mutation
    from mootaflow.domain.payments import Booking, PaymentStatus
    from mootaflow.workflows.payment_types import PaymentInput, PaymentState

from mootaflow.workflows.payment_legacy import LegacyFlow
from mootaflow.workflows.payment_steps import Pending, _decided


@workflow.defn
class PaymentWorkflow(LegacyFlow):
    def __init__(self) -> None:
        super().__init__()
        # Decided once, before any handler runs: the validators (which may not
        # record markers) and the signal handlers need them from the first task on.
        self._baseline = workflow.patched(patches.BASELINE_2026_11)
        self._v2 = self._patched(patches.DECISIONS_V2)
        # The transfer's amount, once the run has its input: approvals must fit in it.
        self._transfer: Decimal | None = None

    @workflow.run
    async def run(self, payment: PaymentInput) -> PaymentState:
        mutation = payment.mutation
        self._state.mutation_id = mutation.mutation_id
        self._transfer = mutation.amount
        self._policy = payment.approval
        self._write_back_on = payment.write_back
        self._merchant_callback_on = payment.merchant_callback
        self._amount = f"{format_rupiah(mutation.amount)} to {mutation.account_number}"
        if not self._v2:
            await self._open_v1(mutation)
            await self._match_and_settle(mutation)
        elif self._patched(patches.SETTLE_AT_ONCE):
            self._at_once = True
            settled: Settled = await self._step(steps.SETTLE_PAYMENT, mutation, retries.DATABASE)
            if settled.outcome is None:
                await self._resume(settled.opened)
            else:
                await self._settled(settled.outcome, settled.booking, settled.invoice)
        else:
            opened: OpenedPayment = await self._step(steps.OPEN_PAYMENT, mutation, retries.DATABASE)
            if opened.resent:
                await self._resume(opened)
            else:
                await self._match_and_settle(mutation)
        await self._close_desk()
        await self._write_back_done()
        workflow.metric_meter().create_counter(
            "mootaflow_payments_finished", "Payment workflow runs ended, by final status."
        ).with_additional_attributes({"status": self._state.status}).add(1)
        return self._state

    @workflow.query
    def status(self) -> PaymentState:
        held = [f"{p.request.kind} by {p.request.by}" for p in self._pending]
        return dataclasses.replace(self._state, held_decisions=held)

    # Decisions. Payloads are plain JSON objects so a person can type them in the
    # Web UI (Updates answer with the outcome; signals are for whoever prefers them):
    # approve {"by": "Sari", "note": "...", "order_ref": "MF-...", "difference": "partial",
    #          "allocations": [{"order_ref": "MF-...", "amount": "50000"}, ...]}
    # reject  {"by": "Sari", "reason": "personal transfer"}
    @workflow.update(name="approve")
    async def approve_update(self, payload: Any) -> DecisionOutcome:
        return await self._decide("approve", payload)

    @approve_update.validator
    def _validate_approve(self, payload: Any) -> None:
        self._admit("approve", payload)

    @workflow.update(name="reject")
    async def reject_update(self, payload: Any) -> DecisionOutcome:
        return await self._decide("reject", payload)

    @reject_update.validator
    def _validate_reject(self, payload: Any) -> None:
        self._admit("reject", payload)

    @workflow.signal
    def approve(self, payload: Any) -> None:
        self._receive("approve", payload)

    @workflow.signal
    def reject(self, payload: Any) -> None:
        self._receive("reject", payload)

    def _admit(self, kind: Kind, payload: Any) -> DecisionRequest:
        """The request, if this payment can take it now; else an ApplicationError whose
        type is the refusal code. Validators run this before anything is written."""
        try:
            request = read_request(kind, payload)
        except InvalidDecision as exc:
            raise _refusal(decisions.INVALID, str(exc)) from None
        if decisions.expired(request, workflow.now()):
            raise _refusal(
                decisions.EXPIRED,
                f"{kind} by {request.by} arrived after its sender stopped waiting "
                f"({request.expires_at}); it was not applied: send it again",
            )
        state = self._state
        if state.decision is not None:
            raise _refusal(decisions.ALREADY_DECIDED, _decided(state), state.decision.by)
        if self._transfer is not None:
            try:
                check_amounts(request, self._transfer)
            except InvalidDecision as exc:
                raise _refusal(decisions.DOES_NOT_ADD_UP, str(exc)) from None
        if state.status in self._decidable():
            try:
                resolve(request, self._reason, state.order_ref)
            except InvalidDecision as exc:
                raise _refusal(decisions.INVALID, str(exc)) from None
        elif not (self._v2 and state.status in (PaymentStatus.RECEIVED, PaymentStatus.MATCHED)):
            # Before the payment is matched a decision is held (v2); afterwards
            # only a flagged payment takes one.
            raise _refusal(
                decisions.NOT_AWAITING,
                f"payment {state.mutation_id} is {state.status}, not awaiting a decision",
            )
        return request

    async def _decide(self, kind: Kind, payload: Any) -> DecisionOutcome:
        # Checked again: another handler may have changed the state since validation.
        pending = Pending(self._admit(kind, payload), "update")
        self._pending.append(pending)
        await workflow.wait_condition(lambda: pending.outcome is not None)
        assert pending.outcome is not None
        return pending.outcome

    def _receive(self, kind: Kind, payload: Any) -> None:
        try:
            request = self._admit(kind, payload)
        except ApplicationError as refusal:
            self._refuse(f"{kind} ignored: {refusal.message}")
            return
        self._pending.append(Pending(request, "signal"))

    def _decidable(self) -> frozenset[str]:
        # Runs before v2 ended at "unresolved": nothing waits any more to apply one.
        return decisions.DECIDABLE if self._v2 else frozenset({PaymentStatus.AWAITING_APPROVAL})

    async def _match_and_settle(self, mutation: Mutation) -> None:
        outcome: MatchOutcome = await self._step(steps.MATCH_ORDER, mutation, retries.DATABASE)
        if outcome.kind == "ignored":
            # Runs started before decisions-v2 did not upsert here: keep their commands.
            if outcome.ignored_reason is not None and self._v2:
                self._state.ignored_reason = outcome.ignored_reason.value
                workflow.upsert_search_attributes(
                    [sa.FLAG_REASON.value_set(outcome.ignored_reason.value)]
                )
            self._set_status(PaymentStatus.IGNORED)
        elif outcome.kind == "flagged":
            assert outcome.reason is not None
            self._flagged(outcome.reason, outcome.candidates, outcome.order_ref)
            await self._await_decision()
        else:
            assert outcome.order_ref is not None
            self._set_order(outcome.order_ref)
            self._set_status(PaymentStatus.MATCHED)
            await self._book(outcome.order_ref)

    async def _settled(
        self, outcome: MatchOutcome, booking: Booking | None, invoice: InvoiceResult | None
    ) -> None:
        """Go on from what settle_payment did: the steps of _match_and_settle and _book,
        done in one (and the invoice, by steps recorded since it issues it too)."""
        if outcome.kind == "ignored":
            reason = outcome.ignored_reason.value if outcome.ignored_reason else None
            self._state.ignored_reason = reason
            self._set_status(PaymentStatus.IGNORED, flag=reason)
        elif outcome.kind == "flagged":
            assert outcome.reason is not None
            self._flagged(outcome.reason, outcome.candidates, outcome.order_ref)
            await self._await_decision()
        else:
            assert outcome.order_ref is not None and booking is not None
            if booking.paid:
                self._set_order(outcome.order_ref)
                await self._after_paid(invoice=invoice)
            else:
                # Another mutation paid this order first; flagged in the same transaction.
                order_ref = outcome.order_ref
                self._flagged(FlagReason.ALREADY_PAID, [order_ref], order_ref)
                await self._await_decision()

    async def _book(self, order_ref: str) -> None:
        booked = await self._step(
            steps.MARK_PAID,
            BookInput(self._state.mutation_id, order_ref),
            retries.DATABASE,
        )
        if booked.paid:
            await self._after_paid()
            return
        # Another mutation paid this order first (a double payment or a race).
        reason, candidates = FlagReason.ALREADY_PAID, [order_ref]
        await self._step(
            steps.FLAG_PAYMENT,
            FlagInput(self._state.mutation_id, reason.value, candidates, order_ref),
            retries.DATABASE,
        )
        self._flagged(reason, candidates, order_ref)
        await self._await_decision()

    async def _await_decision(self) -> None:
        if self._v2:
            await self._await_decision_v2()
        else:
            await self._await_decision_v1()

    async def _await_decision_v2(self, remind: bool = True) -> None:
        """Take decisions until one applies or the deadline passes; reminders beside."""
        deadline = workflow.now() + self._policy.give_up_after
        reminders: asyncio.Task[None] | None = None
        decided = False
        while not decided:
            if not self._pending:
                if remind and reminders is None:
                    # Only now: a decision held until the payment was flagged may settle
                    # it before anyone needs telling.
                    reminders = asyncio.create_task(self._remind(deadline))
                    # Moota's dashboard shows it flagged, with the reason.
                    self._write_back()
                remaining = deadline - workflow.now()
                if remaining <= timedelta():
                    break
                try:
                    await workflow.wait_condition(lambda: bool(self._pending), timeout=remaining)
                except TimeoutError:
                    # A decision received by the deadline is still applied.
                    if not self._pending:
                        break
            decided = await self._apply(self._pending.pop(0))
        if reminders is not None:
            # Decided (or given up): a reminder still retrying is moot. (Not in a
            # `finally`: a workflow evicted from the cache must not await on its way out.)
            reminders.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reminders
        if decided or self._state.status == PaymentStatus.UNRESOLVED:
            return
        await self._step(
            steps.SET_PAYMENT_STATUS,
            StatusInput(self._state.mutation_id, PaymentStatus.UNRESOLVED),
            retries.DATABASE,
        )
        self._set_status(PaymentStatus.UNRESOLVED)

    async def _remind(self, deadline: datetime) -> None:
        """Tell finance now, then every remind_every until the deadline. Beside the wait:
        a notice retrying for hours (mail down) never holds up a decision."""
        await self._notify_finance(reminder=0)
        start = deadline - self._policy.give_up_after
        while True:
            due = start + self._policy.remind_every * (self._state.reminders + 1)
            if due >= deadline:
                return
            if (wait := due - workflow.now()) > timedelta():
                await workflow.sleep(wait)
            self._state.reminders += 1
            await self._notify_finance(reminder=self._state.reminders)

    async def _resume(self, opened: OpenedPayment) -> None:
        """An earlier run got past matching: finish what is owed, never match again.
        (Or this run did, in a settle_payment attempt whose answer was lost.)"""
        self._state.resent = opened.resent
        status = PaymentStatus(opened.status)
        if status == PaymentStatus.PAID:
            assert opened.order_ref is not None
            self._state.decision = opened.decision
            self._set_order(opened.order_ref)
            # Invoice and notifications are idempotent: what was done is reported as
            # such, and what an earlier run left undone is done now.
            await self._after_paid()
        elif status in decisions.DECIDABLE:
            reason = FlagReason(opened.flag_reason or FlagReason.NO_MATCH.value)
            self._flagged(reason, opened.candidates, opened.order_ref, status=status)
            if (recorded := opened.decision) is not None:
                # Recorded, but the run applying it ended before it took effect.
                request = DecisionRequest(
                    recorded.kind,
                    recorded.by,
                    recorded.order_ref,
                    recorded.note,
                    difference=recorded.difference,
                    allocations=recorded.allocations,
                )
                self._pending.insert(0, Pending(request, "resume"))
            await self._await_decision_v2(remind=status == PaymentStatus.AWAITING_APPROVAL)
        else:
            self._state.decision = opened.decision
            self._state.ignored_reason = opened.ignored_reason
            if opened.order_ref:
                self._set_order(opened.order_ref)
            # The flag shows why an ignored payment is ignored (settle-at-once runs).
            self._set_status(status, flag=opened.ignored_reason)

    async def _close_desk(self) -> None:
        """Answer every decision still held, then let the handlers finish before the run
        ends: an Update the workflow accepted always gets its answer."""
        while True:
            await workflow.wait_condition(
                lambda: bool(self._pending) or workflow.all_handlers_finished()
            )
            if not self._pending:
                return
            pending = self._pending.pop(0)
            state = self._state
            if state.decision is None and self._v2 and state.status in decisions.DECIDABLE:
                # Unresolved, and someone decided after all: the money did arrive.
                await self._apply(pending)
            elif state.decision is not None:
                self._answer_refused(pending, decisions.ALREADY_DECIDED, _decided(state))
            else:
                self._answer_refused(
                    pending,
                    decisions.NOT_AWAITING,
                    f"payment {state.mutation_id} is {state.status}, not awaiting a decision",
                )


def _refusal(code: str, message: str, decided_by: str | None = None) -> ApplicationError:
    return ApplicationError(message, decided_by, type=code, non_retryable=True)
