"""PaymentWorkflow: one run per Moota mutation, id moota-mutation-<mutation_id>.

record → match → (matched) mark paid → invoice → notify customer and merchant
                 (flagged)  recorded as awaiting_approval
                 (debit)    ignored
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, FailureError

with workflow.unsafe.imports_passed_through():
    from mootaflow.activities.notify import NotifyActivities, NotifyResult
    from mootaflow.activities.payment import (
        BookInput,
        BookResult,
        FlagInput,
        InvoiceResult,
        PaymentActivities,
    )
    from mootaflow.domain.matching import FlagReason, MatchOutcome
    from mootaflow.domain.moota import Mutation
    from mootaflow.workflows import retries
    from mootaflow.workflows import search_attributes as sa

T = TypeVar("T")


@dataclass(frozen=True)
class PaymentInput:
    mutation: Mutation


@dataclass
class PaymentState:
    mutation_id: str
    status: str
    order_ref: str | None = None
    flag_reason: str | None = None
    candidates: list[str] = field(default_factory=list)
    invoice_number: str | None = None
    notifications: dict[str, str] = field(default_factory=dict)


@workflow.defn
class PaymentWorkflow:
    def __init__(self) -> None:
        self._state = PaymentState(mutation_id="", status="received")

    @workflow.run
    async def run(self, payment: PaymentInput) -> PaymentState:
        mutation = payment.mutation
        self._state.mutation_id = mutation.mutation_id
        await self._step(PaymentActivities.record_mutation, mutation, retries.DATABASE)
        self._set_status("received")

        outcome: MatchOutcome = await self._step(
            PaymentActivities.match_order, mutation, retries.DATABASE
        )
        if outcome.kind == "ignored":
            self._set_status("ignored")
        elif outcome.kind == "flagged":
            assert outcome.reason is not None
            self._flagged(outcome.reason, outcome.candidates, outcome.order_ref)
        else:
            assert outcome.order_ref is not None
            await self._book(mutation.mutation_id, outcome.order_ref)
        return self._state

    @workflow.query
    def status(self) -> PaymentState:
        return self._state

    async def _book(self, mutation_id: str, order_ref: str) -> None:
        self._set_order(order_ref)
        self._set_status("matched")
        booked: BookResult = await self._step(
            PaymentActivities.mark_paid, BookInput(mutation_id, order_ref), retries.DATABASE
        )
        if not booked.paid:
            # Another mutation paid this order first (a double payment or a race).
            reason, candidates = FlagReason.ALREADY_PAID, [order_ref]
            await self._step(
                PaymentActivities.flag_payment,
                FlagInput(mutation_id, reason.value, candidates, order_ref),
                retries.DATABASE,
            )
            self._flagged(reason, candidates, order_ref)
            return
        self._set_status("paid")
        invoice: InvoiceResult = await self._step(
            PaymentActivities.generate_invoice, mutation_id, retries.INVOICE
        )
        self._state.invoice_number = invoice.number
        # Independent of each other: neither waits for the other's outages.
        await asyncio.gather(
            self._notify("customer_email", NotifyActivities.notify_customer, mutation_id),
            self._notify("merchant_callback", NotifyActivities.notify_merchant, mutation_id),
        )

    async def _notify(
        self,
        name: str,
        activity: Callable[[Any, str], Awaitable[NotifyResult]],
        mutation_id: str,
    ) -> None:
        try:
            result: NotifyResult = await self._step(activity, mutation_id, retries.NOTIFICATION)
            self._state.notifications[name] = result.status
        except ActivityError as error:
            # The payment stays paid; the failure is visible in the state, the
            # notification table and this workflow's history.
            cause = error.cause.message if isinstance(error.cause, FailureError) else str(error)
            self._state.notifications[name] = f"failed: {cause}"

    async def _step(self, activity: Callable[..., Awaitable[T]], arg: Any, step: retries.Step) -> T:
        return await workflow.execute_activity_method(
            activity,
            arg,
            start_to_close_timeout=step.start_to_close,
            schedule_to_close_timeout=step.schedule_to_close,
            retry_policy=step.retry,
        )

    def _flagged(self, reason: FlagReason, candidates: list[str], order_ref: str | None) -> None:
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
