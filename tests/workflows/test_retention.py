"""The daily purge schedule: created idempotently, it runs the purge, and a run that
can never end does not stop the purges after it."""

import asyncio
from datetime import timedelta

from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleHandle,
    WorkflowExecutionStatus,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from mootaflow.domain.settings import Settings
from mootaflow.temporal.schedules import (
    RETENTION_SCHEDULE_ID,
    ensure_retention_schedule,
    ensure_schedule,
    retention_schedule,
)
from mootaflow.workflows import retries


async def test_a_run_stuck_on_a_dead_queue_times_out_and_the_next_purge_runs(
    client: Client, settings: Settings, worker: Worker
) -> None:
    handle = client.get_schedule_handle(RETENTION_SCHEDULE_ID)
    # Fresh: another test's worker process may have left the schedule, with a run.
    try:
        await handle.delete()
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
    # As after a deploy that renamed the task queue while a purge waited: nobody
    # polls the queue of the run the schedule started.
    stuck = retention_schedule(45, f"{settings.task_queue}-gone", timedelta(seconds=2))
    assert await ensure_schedule(client, RETENTION_SCHEDULE_ID, stuck)
    await handle.trigger()
    stale = await _action(handle, 1)
    run = client.get_workflow_handle(stale.workflow_id, run_id=stale.first_execution_run_id)
    async with asyncio.timeout(30):
        while (await run.describe()).status != WorkflowExecutionStatus.TIMED_OUT:
            await asyncio.sleep(0.2)
        while (await handle.describe()).info.running_actions:
            await asyncio.sleep(0.2)  # the schedule has seen it end

    await ensure_retention_schedule(client, 30, settings.task_queue)  # updates, no error
    described = await handle.describe()
    action = described.schedule.action
    assert action.task_queue == settings.task_queue  # type: ignore[attr-defined]
    assert described.schedule.spec.intervals[0].every == timedelta(days=1)
    # Its runs end before the next day's action is due.
    assert action.execution_timeout == retries.RETENTION_RUN < timedelta(days=1)  # type: ignore[attr-defined]

    # The schedule's own overlap policy (skip while a run is open) lets this one start.
    await handle.trigger()
    started = await _action(handle, 2)
    result = await client.get_workflow_handle(
        started.workflow_id, run_id=started.first_execution_run_id
    ).result()
    assert result["deliveries"] == 0
    await handle.delete()


async def _action(handle: ScheduleHandle, count: int) -> ScheduleActionExecutionStartWorkflow:
    """The schedule's `count`th action, once taken."""
    async with asyncio.timeout(30):
        while (info := (await handle.describe()).info).num_actions < count:
            await asyncio.sleep(0.2)
    started = info.recent_actions[-1].action
    assert isinstance(started, ScheduleActionExecutionStartWorkflow)
    return started
