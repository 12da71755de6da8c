"""Database failures of activities, as a short retryable error an operator can read.

SQLAlchemy's messages carry the SQL and its parameters: long (Temporal replaces a
failure over its size limit with "failure exceeds size limit", hiding the cause
in the UI's pending activity) and full of payment data that has no place in
workflow histories. The cause and its class are what matter; the full error is
logged by the worker.
"""

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from mootaflow.store.db import describe_error

log = logging.getLogger("mootaflow.activities")


class DatabaseErrors(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Shortening(next)


class _Shortening(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except SQLAlchemyError as exc:
            info = activity.info()
            log.warning(
                "database step failed; Temporal retries it",
                extra={
                    "step": info.activity_type,
                    "attempt": info.attempt,
                    "workflow_id": info.workflow_id,
                    "error": str(exc)[:2000],
                },
            )
            raise ApplicationError(describe_error(exc), type="DatabaseError") from None
