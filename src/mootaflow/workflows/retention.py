"""RetentionWorkflow and the schedule that runs it daily."""

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
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

with workflow.unsafe.imports_passed_through():
    from mootaflow.activities import contracts as steps
    from mootaflow.activities.contracts import PurgeResult
    from mootaflow.workflows import retries

SCHEDULE_ID = "mootaflow-retention"


@dataclass(frozen=True)
class RetentionInput:
    retention_days: int


@workflow.defn
class RetentionWorkflow:
    @workflow.run
    async def run(self, policy: RetentionInput) -> PurgeResult:
        result: PurgeResult = await workflow.execute_activity(
            steps.PURGE_AUDIT_ROWS.name,
            policy.retention_days,
            result_type=PurgeResult,
            start_to_close_timeout=retries.RETENTION.start_to_close,
            schedule_to_close_timeout=retries.RETENTION.schedule_to_close,
            retry_policy=retries.RETENTION.retry,
        )
        return result


def retention_schedule(retention_days: int, task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            RetentionWorkflow.run,
            RetentionInput(retention_days),
            id="mootaflow-retention-purge",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(days=1))]),
    )


async def ensure_retention_schedule(client: Client, retention_days: int, task_queue: str) -> None:
    """Create the daily purge schedule, or bring an existing one up to date."""
    schedule = retention_schedule(retention_days, task_queue)
    try:
        await client.create_schedule(SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(SCHEDULE_ID).update(replace)
