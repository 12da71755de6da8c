"""Holding one real activity at a chosen point, to open a timing window on purpose.

An activity interceptor for the test worker: the named activity runs as usual,
then (after its database commit) waits until the test releases it. Meanwhile the
database already shows the activity's effect while the workflow has not seen its
result: the window a fast finance decision can fall into.
"""

import asyncio
from typing import Any

from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor


class PauseAfter(Interceptor):
    def __init__(self, activity_name: str, workflow_id: str | None = None) -> None:
        self.activity_name = activity_name
        self.workflow_id = workflow_id  # only that workflow's activity, if set
        self.reached = asyncio.Event()
        self.released = asyncio.Event()

    def applies(self) -> bool:
        info = activity.info()
        return info.activity_type == self.activity_name and self.workflow_id in (
            None,
            info.workflow_id,
        )

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Pausing(next, self)


class _Pausing(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, pause: PauseAfter) -> None:
        super().__init__(next)
        self._pause = pause

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        result = await super().execute_activity(input)
        if self._pause.applies():
            self._pause.reached.set()
            await self._pause.released.wait()
        return result
