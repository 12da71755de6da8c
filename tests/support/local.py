"""Failing a step's first attempt in the worker (a local activity, patch local-first),
so the regular activity that follows can be watched."""

from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor


class FailInWorker(Interceptor):
    """The named step's attempts in the worker fail with `error`; its regular attempts run."""

    def __init__(self, step: str, error: ApplicationError) -> None:
        self.step = step
        self.error = error
        self.failed = 0

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        outer = self

        class Failing(ActivityInboundInterceptor):
            async def execute_activity(self, input: ExecuteActivityInput) -> Any:
                info = activity.info()
                if info.is_local and info.activity_type == outer.step:
                    outer.failed += 1
                    raise outer.error
                return await super().execute_activity(input)

        return Failing(next)
