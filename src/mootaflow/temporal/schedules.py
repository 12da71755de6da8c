"""The Temporal Schedules mootaflow keeps, created or brought up to date at every
worker start (so a changed setting takes effect with the next deploy)."""

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from mootaflow.workflows import retries
from mootaflow.workflows.retention import RetentionInput, RetentionWorkflow

RETENTION_SCHEDULE_ID = "mootaflow-retention"


def retention_schedule(
    retention_days: int, task_queue: str, run_timeout: timedelta = retries.RETENTION_RUN
) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            RetentionWorkflow.run,
            RetentionInput(retention_days),
            id="mootaflow-retention-purge",
            task_queue=task_queue,
            execution_timeout=run_timeout,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(days=1))]),
    )


async def ensure_schedule(client: Client, schedule_id: str, schedule: Schedule) -> bool:
    """Create the schedule (True), or bring an existing one up to date (False)."""
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(schedule_id).update(replace)
        return False
    return True


async def ensure_retention_schedule(client: Client, retention_days: int, task_queue: str) -> None:
    """The daily purge of audit rows older than `retention_days`."""
    await ensure_schedule(
        client, RETENTION_SCHEDULE_ID, retention_schedule(retention_days, task_queue)
    )
