"""The worker's own activity metrics, exported with the Temporal SDK's on its Prometheus port.

Every activity attempt is counted by step (`activity_type`) and outcome, and its
attempt number recorded, so an operator sees a database step on its 40th attempt
long before anyone notices a payment that does not move.
"""

import asyncio
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

ATTEMPTS = "mootaflow_activity_attempts"
ATTEMPT_NUMBER = "mootaflow_activity_attempt"
# Bucket bounds of the attempt-number histogram: alert on attempts above one of them.
ATTEMPT_BUCKETS = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500)


class ActivityMetrics(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Counting(next)


class _Counting(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        # The SDK's meter labels both with activity_type, namespace and task_queue.
        meter = activity.metric_meter()
        meter.create_histogram(
            ATTEMPT_NUMBER, "Attempt number of each activity execution started."
        ).record(activity.info().attempt)
        attempts = meter.create_counter(
            ATTEMPTS, "Activity attempts by outcome (completed, retrying, failed)."
        )
        try:
            result = await super().execute_activity(input)
        except BaseException as error:
            attempts.with_additional_attributes({"outcome": _outcome(error)}).add(1)
            raise
        attempts.with_additional_attributes({"outcome": "completed"}).add(1)
        return result


def _outcome(error: BaseException) -> str:
    if isinstance(error, ApplicationError) and error.non_retryable:
        return "failed"
    if isinstance(error, CancelledError | asyncio.CancelledError):
        return "cancelled"
    return "retrying"
