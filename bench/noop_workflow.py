"""The e2e baselines: PaymentWorkflow's paths with every activity doing nothing, on
regular activities (the shape naive Temporal code has).

NoopPaymentWorkflow, the paid path: record → match → mark paid → invoice, then customer
and merchant notices in parallel. NoopFlaggedWorkflow, the flagged path: record → match
→ notify finance, wait for an `approve` Update, then record the decision → mark paid →
invoice (the Update answers here, as the real one answers with the booking) → customer
and merchant notices. Same timeouts and retry policies as the real workflow, so the
difference to a real run is what mootaflow's own code costs, not a different amount of
Temporal work. The real workflow's search attribute updates are left out (mootaflow's
choice), except the one upsert the flagged bench needs to count who is waiting."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from mootaflow.domain.payments import PaymentStatus
    from mootaflow.workflows import retries
    from mootaflow.workflows.search_attributes import PAYMENT_STATUS


def _noop(name: str) -> Callable[[str], Awaitable[str]]:
    """An activity named `name` that does nothing and returns its input."""

    @activity.defn(name=name)
    async def noop(mutation_id: str) -> str:
        return mutation_id

    return noop


noop_record = _noop("noop_record")
noop_match = _noop("noop_match")
noop_mark_paid = _noop("noop_mark_paid")
noop_invoice = _noop("noop_invoice")
noop_notify_customer = _noop("noop_notify_customer")
noop_notify_merchant = _noop("noop_notify_merchant")
noop_notify_finance = _noop("noop_notify_finance")
noop_record_decision = _noop("noop_record_decision")

ACTIVITIES = [
    noop_record,
    noop_match,
    noop_mark_paid,
    noop_invoice,
    noop_notify_customer,
    noop_notify_merchant,
    noop_notify_finance,
    noop_record_decision,
]

# The status the flagged baseline sets while it waits (the bench counts it).
AWAITING = PaymentStatus.AWAITING_APPROVAL.value


async def _step(
    step: Callable[[str], Awaitable[str]], mutation_id: str, policy: retries.Step
) -> str:
    result: str = await workflow.execute_activity(
        step,
        mutation_id,
        start_to_close_timeout=policy.start_to_close,
        schedule_to_close_timeout=policy.schedule_to_close,
        retry_policy=policy.retry,
    )
    return result


async def _notify(mutation_id: str) -> None:
    await asyncio.gather(
        _step(noop_notify_customer, mutation_id, retries.NOTIFICATION),
        _step(noop_notify_merchant, mutation_id, retries.NOTIFICATION),
    )


@workflow.defn
class NoopPaymentWorkflow:
    @workflow.run
    async def run(self, mutation_id: str) -> str:
        for step, step_policy in (
            (noop_record, retries.DATABASE),
            (noop_match, retries.DATABASE),
            (noop_mark_paid, retries.DATABASE),
            (noop_invoice, retries.INVOICE),
        ):
            await _step(step, mutation_id, step_policy)
        await _notify(mutation_id)
        return mutation_id


@workflow.defn
class NoopFlaggedWorkflow:
    def __init__(self) -> None:
        self._approved = False
        self._booked = False

    @workflow.run
    async def run(self, mutation_id: str) -> str:
        await _step(noop_record, mutation_id, retries.DATABASE)
        await _step(noop_match, mutation_id, retries.DATABASE)
        # The real workflow tells finance beside the wait; so does this one.
        finance = asyncio.create_task(_step(noop_notify_finance, mutation_id, retries.NOTIFICATION))
        workflow.upsert_search_attributes([PAYMENT_STATUS.value_set(AWAITING)])
        await workflow.wait_condition(lambda: self._approved)
        for step, step_policy in (
            (noop_record_decision, retries.DATABASE),
            (noop_mark_paid, retries.DATABASE),
            (noop_invoice, retries.INVOICE),
        ):
            await _step(step, mutation_id, step_policy)
        self._booked = True
        await finance
        await _notify(mutation_id)
        # Let the Update handler return its answer before the run completes.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return mutation_id

    @workflow.update(name="approve")
    async def approve(self, payload: Any) -> str:
        """Answers once the payment is booked with its invoice, as the real one does."""
        self._approved = True
        await workflow.wait_condition(lambda: self._booked)
        return "paid"
