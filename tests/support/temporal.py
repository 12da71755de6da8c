"""Asking Temporal what exists, with the patience its visibility store needs."""

import asyncio
from datetime import timedelta

from temporalio.client import Client, WorkflowExecutionDescription, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from mootaflow.domain.moota import Mutation
from mootaflow.workflows import search_attributes
from mootaflow.workflows.payment import PaymentWorkflow
from mootaflow.workflows.payment_types import PaymentInput, PaymentState


async def describe_or_none(client: Client, workflow_id: str) -> WorkflowExecutionDescription | None:
    try:
        return await client.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def wait_for_workflow(
    client: Client, workflow_id: str, timeout: float = 20.0
) -> WorkflowExecutionDescription:
    async with asyncio.timeout(timeout):
        while True:
            description = await describe_or_none(client, workflow_id)
            if description is not None:
                return description
            await asyncio.sleep(0.1)


async def count_runs(client: Client, workflow_id: str) -> int:
    """All runs (open and closed) ever recorded under this workflow id."""
    runs = [run async for run in client.list_workflows(f'WorkflowId = "{workflow_id}"')]
    return len(runs)


async def start_payment(
    client: Client, task_queue: str, mutation: Mutation
) -> WorkflowHandle[PaymentWorkflow, PaymentState]:
    """Start PaymentWorkflow as the receiver does, on a test's own task queue."""
    return await client.start_workflow(
        PaymentWorkflow.run,
        PaymentInput(mutation),
        id=mutation.workflow_id,
        task_queue=task_queue,
        search_attributes=search_attributes.at_start(mutation),
    )


SETTLED = {"paid", "ignored", "rejected", "unresolved"}


async def settled(client: Client, workflow_id: str, timeout: float = 60.0) -> PaymentState:
    """The payment's state once it is done, or once it waits for finance (notified)."""
    await wait_for_workflow(client, workflow_id, timeout)
    handle = client.get_workflow_handle(workflow_id, result_type=PaymentState)
    async with asyncio.timeout(timeout):
        while True:
            state = await handle.query(PaymentWorkflow.status)
            if state.status == "awaiting_approval" and "finance" in state.notifications:
                return state
            if state.status in SETTLED:
                final: PaymentState = await handle.result()
                return final
            await asyncio.sleep(0.1)


async def skip_time(env: WorkflowEnvironment, duration: timedelta) -> None:
    """Let `duration` pass on the time-skipping server, in slices: while activities
    retry, each slice takes real time, and one long call can outlive its connection."""
    step = timedelta(hours=2)
    while duration > timedelta():
        await env.sleep(min(step, duration))
        duration -= step
