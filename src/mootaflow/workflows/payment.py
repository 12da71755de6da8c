"""PaymentWorkflow: one run per Moota mutation, id moota-mutation-<mutation_id>.

record → match ─matched─► mark paid → invoice → notify customer and merchant
               ├─flagged─► tell finance, wait for approve / reject (reminders,
               │           then "unresolved"); approved → mark paid → ...
               └─debit, test account─► ignored
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Literal, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, FailureError

with workflow.unsafe.imports_passed_through():
    from mootaflow.activities.notify import FinanceNotice, NotifyActivities, NotifyResult
    from mootaflow.activities.payment import (
        BookInput,
        BookResult,
        DecisionInput,
        FlagInput,
        InvoiceResult,
        PaymentActivities,
        StatusInput,
    )
    from mootaflow.domain.decisions import Decision, InvalidDecision, parse_decision
    from mootaflow.domain.matching import FlagReason, MatchOutcome
    from mootaflow.domain.money import format_rupiah
    from mootaflow.workflows import retries
    from mootaflow.workflows import search_attributes as sa
    from mootaflow.workflows.payment_types import ApprovalPolicy, PaymentInput, PaymentState

T = TypeVar("T")


@workflow.defn
class PaymentWorkflow:
    def __init__(self) -> None:
        self._state = PaymentState(mutation_id="", status="received")
        self._reason = FlagReason.NO_MATCH
        self._decisions: list[Decision] = []
        self._policy = ApprovalPolicy()
        self._amount = ""

    @workflow.run
    async def run(self, payment: PaymentInput) -> PaymentState:
        mutation = payment.mutation
        self._state.mutation_id = mutation.mutation_id
        self._policy = payment.approval
        self._amount = f"{format_rupiah(mutation.amount)} to {mutation.account_number}"
        await self._step(PaymentActivities.record_mutation, mutation, retries.DATABASE)
        self._set_status("received")

        outcome: MatchOutcome = await self._step(
            PaymentActivities.match_order, mutation, retries.DATABASE
        )
        if outcome.kind == "ignored":
            if outcome.ignored_reason is not None:
                self._state.ignored_reason = outcome.ignored_reason.value
                workflow.upsert_search_attributes(
                    [sa.FLAG_REASON.value_set(outcome.ignored_reason.value)]
                )
            self._set_status("ignored")
        elif outcome.kind == "flagged":
            assert outcome.reason is not None
            self._flagged(outcome.reason, outcome.candidates, outcome.order_ref)
            await self._await_decision()
        else:
            assert outcome.order_ref is not None
            self._set_order(outcome.order_ref)
            self._set_status("matched")
            await self._book(outcome.order_ref)
        return self._state

    @workflow.query
    def status(self) -> PaymentState:
        return self._state

    # Payloads are plain JSON objects so a person can type them in the Web UI:
    # approve {"by": "Sari", "note": "...", "order_ref": "MF-..."}
    # reject  {"by": "Sari", "reason": "personal transfer"}
    @workflow.signal
    def approve(self, payload: Any) -> None:
        self._receive("approve", payload)

    @workflow.signal
    def reject(self, payload: Any) -> None:
        self._receive("reject", payload)

    def _receive(self, kind: Literal["approve", "reject"], payload: Any) -> None:
        if self._state.decision is not None:
            self._refuse(f"{kind} ignored: already decided ({self._state.decision.kind})")
            return
        if self._state.status != "awaiting_approval":
            self._refuse(f"{kind} ignored: payment is {self._state.status}, not awaiting approval")
            return
        try:
            decision = parse_decision(kind, payload, self._reason, self._state.order_ref)
        except InvalidDecision as exc:
            self._refuse(f"{kind} ignored: {exc}")
            return
        self._decisions.append(decision)

    async def _await_decision(self) -> None:
        policy = self._policy
        await self._notify_finance(reminder=0)
        deadline = workflow.now() + policy.give_up_after
        while True:
            remaining = deadline - workflow.now()
            if remaining <= timedelta():
                break
            try:
                await workflow.wait_condition(
                    lambda: bool(self._decisions), timeout=min(policy.remind_every, remaining)
                )
            except TimeoutError:
                if workflow.now() < deadline:
                    self._state.reminders += 1
                    await self._notify_finance(reminder=self._state.reminders)
                continue
            if await self._apply(self._decisions.pop(0)):
                for late in self._decisions:
                    self._refuse(f"{late.kind} by {late.by} ignored: already decided")
                self._decisions.clear()
                return
        # Nobody decided in time: say so loudly instead of waiting forever.
        await self._step(
            PaymentActivities.set_payment_status,
            StatusInput(self._state.mutation_id, "unresolved"),
            retries.DATABASE,
        )
        self._set_status("unresolved")

    async def _apply(self, decision: Decision) -> bool:
        """True once the decision took effect; False if it could not (and why is recorded)."""
        if decision.kind == "reject":
            await self._record(decision)
            await self._step(
                PaymentActivities.set_payment_status,
                StatusInput(self._state.mutation_id, "rejected"),
                retries.DATABASE,
            )
            self._state.decision = decision
            self._set_status("rejected")
            return True
        assert decision.order_ref is not None
        try:
            booked: BookResult = await self._step(
                PaymentActivities.mark_paid,
                BookInput(self._state.mutation_id, decision.order_ref),
                retries.DATABASE,
            )
        except ActivityError as error:
            self._refuse(f"approve by {decision.by} failed: {_cause(error)}")
            return False
        if not booked.paid:
            self._refuse(
                f"approve by {decision.by} failed: order {decision.order_ref} "
                f"is already paid by mutation {booked.paid_by}"
            )
            return False
        self._state.decision = decision
        await self._record(decision)
        self._set_order(decision.order_ref)
        await self._after_paid()
        return True

    async def _book(self, order_ref: str) -> None:
        booked: BookResult = await self._step(
            PaymentActivities.mark_paid,
            BookInput(self._state.mutation_id, order_ref),
            retries.DATABASE,
        )
        if booked.paid:
            await self._after_paid()
            return
        # Another mutation paid this order first (a double payment or a race).
        reason, candidates = FlagReason.ALREADY_PAID, [order_ref]
        await self._step(
            PaymentActivities.flag_payment,
            FlagInput(self._state.mutation_id, reason.value, candidates, order_ref),
            retries.DATABASE,
        )
        self._flagged(reason, candidates, order_ref)
        await self._await_decision()

    async def _after_paid(self) -> None:
        self._set_status("paid")
        invoice: InvoiceResult = await self._step(
            PaymentActivities.generate_invoice, self._state.mutation_id, retries.INVOICE
        )
        self._state.invoice_number = invoice.number
        # Independent of each other: neither waits for the other's outages.
        await asyncio.gather(
            self._notify("customer_email", NotifyActivities.notify_customer),
            self._notify("merchant_callback", NotifyActivities.notify_merchant),
        )

    async def _notify(
        self, name: str, activity: Callable[[Any, str], Awaitable[NotifyResult]]
    ) -> None:
        try:
            result = await self._step(activity, self._state.mutation_id, retries.NOTIFICATION)
            self._state.notifications[name] = result.status
        except ActivityError as error:
            # The payment stays paid; the failure is visible in the state, the
            # notification table and this workflow's history.
            self._state.notifications[name] = f"failed: {_cause(error)}"

    async def _notify_finance(self, reminder: int) -> None:
        notice = FinanceNotice(self._state.mutation_id, workflow.info().workflow_id, reminder)
        name = "finance" if reminder == 0 else f"finance_reminder_{reminder}"
        try:
            result = await self._step(NotifyActivities.notify_finance, notice, retries.NOTIFICATION)
            self._state.notifications[name] = result.status
        except ActivityError as error:
            self._state.notifications[name] = f"failed: {_cause(error)}"

    async def _record(self, decision: Decision) -> None:
        await self._step(
            PaymentActivities.record_decision,
            DecisionInput(
                self._state.mutation_id,
                decision.kind,
                decision.by,
                decision.order_ref,
                decision.note,
                self._state.flag_reason,
            ),
            retries.DATABASE,
        )

    async def _step(self, activity: Callable[..., Awaitable[T]], arg: Any, step: retries.Step) -> T:
        return await workflow.execute_activity_method(
            activity,
            arg,
            start_to_close_timeout=step.start_to_close,
            schedule_to_close_timeout=step.schedule_to_close,
            retry_policy=step.retry,
        )

    def _refuse(self, message: str) -> None:
        workflow.logger.warning(message)
        self._state.refused_signals.append(message)

    def _flagged(self, reason: FlagReason, candidates: list[str], order_ref: str | None) -> None:
        self._reason = reason
        self._state.flag_reason = reason.value
        self._state.candidates = list(candidates)
        if order_ref:
            self._set_order(order_ref)
        workflow.upsert_search_attributes([sa.FLAG_REASON.value_set(reason.value)])
        self._set_status("awaiting_approval")

    def _set_order(self, order_ref: str) -> None:
        self._state.order_ref = order_ref
        workflow.upsert_search_attributes([sa.ORDER_REF.value_set(order_ref)])

    def _set_status(self, status: str) -> None:
        self._state.status = status
        workflow.upsert_search_attributes([sa.PAYMENT_STATUS.value_set(status)])
        # The UI's "current details": what this payment is and where it stands.
        parts = [status, self._amount]
        if self._state.order_ref:
            parts.append(f"order {self._state.order_ref}")
        if status == "awaiting_approval" and self._state.flag_reason:
            parts.append(f"flag {self._state.flag_reason}")
        if status == "ignored" and self._state.ignored_reason:
            parts.append(self._state.ignored_reason)
        workflow.set_current_details(" · ".join(parts))


def _cause(error: ActivityError) -> str:
    return error.cause.message if isinstance(error.cause, FailureError) else str(error)
