"""The daily purge schedule: created idempotently, and it runs the purge."""

import asyncio

from temporalio.client import Client, ScheduleActionExecutionStartWorkflow
from temporalio.worker import Worker

from mootaflow.domain.settings import Settings
from mootaflow.temporal.schedules import RETENTION_SCHEDULE_ID, ensure_retention_schedule


async def test_schedule_is_created_once_and_runs_the_purge(
    client: Client, settings: Settings, worker: Worker
) -> None:
    await ensure_retention_schedule(client, 45, settings.task_queue)
    await ensure_retention_schedule(client, 30, settings.task_queue)  # updates, no error
    handle = client.get_schedule_handle(RETENTION_SCHEDULE_ID)
    described = await handle.describe()
    action = described.schedule.action
    assert action.task_queue == settings.task_queue  # type: ignore[attr-defined]
    assert described.schedule.spec.intervals[0].every.days == 1

    await handle.trigger()
    async with asyncio.timeout(30):
        while not (await handle.describe()).info.recent_actions:
            await asyncio.sleep(0.2)
    started = (await handle.describe()).info.recent_actions[-1].action
    assert isinstance(started, ScheduleActionExecutionStartWorkflow)
    run = client.get_workflow_handle(started.workflow_id, run_id=started.first_execution_run_id)
    result = await run.result()
    assert result["deliveries"] == 0
    await handle.delete()
