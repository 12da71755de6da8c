"""The e2e baseline: PaymentWorkflow's happy path with every activity doing nothing.

Same shape (record → match → mark paid → invoice, then customer and merchant notices in
parallel), same timeouts and retry policies, so the difference to a real run is what
mootaflow's own code costs, not a different amount of Temporal work. The search
attribute updates of the real workflow are left out: they are mootaflow's choice."""

import asyncio
from collections.abc import Awaitable, Callable

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from mootaflow.workflows import retries


@activity.defn
async def noop_record(mutation_id: str) -> str:
    return mutation_id


@activity.defn
async def noop_match(mutation_id: str) -> str:
    return mutation_id


@activity.defn
async def noop_mark_paid(mutation_id: str) -> str:
    return mutation_id


@activity.defn
async def noop_invoice(mutation_id: str) -> str:
    return mutation_id


@activity.defn
async def noop_notify_customer(mutation_id: str) -> str:
    return mutation_id


@activity.defn
async def noop_notify_merchant(mutation_id: str) -> str:
    return mutation_id


ACTIVITIES = [
    noop_record,
    noop_match,
    noop_mark_paid,
    noop_invoice,
    noop_notify_customer,
    noop_notify_merchant,
]


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
            await self._step(step, mutation_id, step_policy)
        await asyncio.gather(
            self._step(noop_notify_customer, mutation_id, retries.NOTIFICATION),
            self._step(noop_notify_merchant, mutation_id, retries.NOTIFICATION),
        )
        return mutation_id

    async def _step(
        self, step: Callable[[str], Awaitable[str]], mutation_id: str, policy: retries.Step
    ) -> str:
        result: str = await workflow.execute_activity(
            step,
            mutation_id,
            start_to_close_timeout=policy.start_to_close,
            schedule_to_close_timeout=policy.schedule_to_close,
            retry_policy=policy.retry,
        )
        return result
