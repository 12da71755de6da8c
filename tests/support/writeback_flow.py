"""A test-only workflow wiring write_back_to_moota the way PaymentWorkflow is to call it
after booking: side by side with the customer's email, neither waiting on the other."""

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from mootaflow.activities import contracts
    from mootaflow.activities.contracts import NotifyResult, WriteBackInput, WriteBackResult
    from mootaflow.workflows import retries


@workflow.defn
class PaidTailWorkflow:
    @workflow.run
    async def run(self, mutation_id: str) -> list[str]:
        email: NotifyResult
        written: WriteBackResult
        email, written = await asyncio.gather(
            workflow.execute_activity(
                contracts.NOTIFY_CUSTOMER.name,
                mutation_id,
                result_type=NotifyResult,
                start_to_close_timeout=retries.NOTIFICATION.start_to_close,
                schedule_to_close_timeout=retries.NOTIFICATION.schedule_to_close,
                retry_policy=retries.NOTIFICATION.retry,
            ),
            workflow.execute_activity(
                contracts.WRITE_BACK_TO_MOOTA.name,
                WriteBackInput(mutation_id),
                result_type=WriteBackResult,
                start_to_close_timeout=retries.WRITE_BACK.start_to_close,
                schedule_to_close_timeout=retries.WRITE_BACK.schedule_to_close,
                retry_policy=retries.WRITE_BACK.retry,
            ),
        )
        return [email.status, written.status]
