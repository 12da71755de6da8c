"""A test-only workflow wiring write_back_to_moota the way PaymentWorkflow is to call it
after booking: side by side with the customer's email, neither waiting on the other."""

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from mootaflow.activities.notify import NotifyActivities, NotifyResult
    from mootaflow.activities.writeback import (
        WriteBackActivities,
        WriteBackInput,
        WriteBackResult,
    )
    from mootaflow.workflows import retries


@workflow.defn
class PaidTailWorkflow:
    @workflow.run
    async def run(self, mutation_id: str) -> list[str]:
        email: NotifyResult
        written: WriteBackResult
        email, written = await asyncio.gather(
            workflow.execute_activity_method(
                NotifyActivities.notify_customer,
                mutation_id,
                start_to_close_timeout=retries.NOTIFICATION.start_to_close,
                schedule_to_close_timeout=retries.NOTIFICATION.schedule_to_close,
                retry_policy=retries.NOTIFICATION.retry,
            ),
            workflow.execute_activity_method(
                WriteBackActivities.write_back_to_moota,
                WriteBackInput(mutation_id),
                start_to_close_timeout=retries.WRITE_BACK.start_to_close,
                schedule_to_close_timeout=retries.WRITE_BACK.schedule_to_close,
                retry_policy=retries.WRITE_BACK.retry,
            ),
        )
        return [email.status, written.status]
