"""The daily purge schedule: created idempotently, and it runs the purge."""

import asyncio

from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleOverlapPolicy,
)
from temporalio.worker import Worker

from mootaflow.domain.settings import Settings
from mootaflow.temporal.schedules import RETENTION_SCHEDULE_ID, ensure_retention_schedule


async def test_schedule_is_created_once_and_runs_the_purge(
    client: Client, settings: Settings, worker: Worker
) -> None:
    # As a worker process of another test may leave it: the schedule exists already,
    # on a task queue nobody polls, with an action taken (as at 00:00 UTC, daily).
    await ensure_retention_schedule(client, 45, f"{settings.task_queue}-gone")
    handle = client.get_schedule_handle(RETENTION_SCHEDULE_ID)
    await handle.trigger()
    await ensure_retention_schedule(client, 30, settings.task_queue)  # updates, no error
    described = await handle.describe()
    action = described.schedule.action
    assert action.task_queue == settings.task_queue  # type: ignore[attr-defined]
    assert described.schedule.spec.intervals[0].every.days == 1

    async with asyncio.timeout(30):
        while not (before := (await handle.describe()).info.num_actions):
            await asyncio.sleep(0.2)  # the stale trigger, counted
    [stale] = (await handle.describe()).info.recent_actions
    # Runs are named by the second they start: a trigger in the same one would collide.
    await asyncio.sleep(1.1)
    # The stale run never ends: the default overlap policy would skip this one.
    await handle.trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL)
    async with asyncio.timeout(30):
        while (await handle.describe()).info.num_actions == before:
            await asyncio.sleep(0.2)
    started = (await handle.describe()).info.recent_actions[-1].action
    assert isinstance(started, ScheduleActionExecutionStartWorkflow)
    run = client.get_workflow_handle(started.workflow_id, run_id=started.first_execution_run_id)
    result = await run.result()
    assert result["deliveries"] == 0
    await handle.delete()
    assert isinstance(stale.action, ScheduleActionExecutionStartWorkflow)
    await client.get_workflow_handle(stale.action.workflow_id).terminate("test over")
