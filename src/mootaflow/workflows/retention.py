"""RetentionWorkflow: the daily purge of old audit rows (scheduled by temporal/schedules.py)."""

from dataclasses import dataclass

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import mootaflow.workflows.retries as retries
    from mootaflow.activities import contracts as steps
    from mootaflow.activities.contracts import PurgeResult


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
