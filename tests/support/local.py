"""Steps run in the worker (local activities, patch local-first) and through the
server: reading them from a history, and failing a first attempt in the worker so
the regular activity that follows can be watched."""

import json
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor


class FailInWorker(Interceptor):
    """The named step's attempts in the worker fail with `error`; its regular attempts
    run. `after`: the attempt runs (and commits) first, as when its answer is lost."""

    def __init__(self, step: str, error: ApplicationError, after: bool = False) -> None:
        self.step = step
        self.error = error
        self.after = after
        self.failed = 0

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        outer = self

        class Failing(ActivityInboundInterceptor):
            async def execute_activity(self, input: ExecuteActivityInput) -> Any:
                info = activity.info()
                if info.is_local and info.activity_type == outer.step:
                    if outer.after:
                        await super().execute_activity(input)
                    outer.failed += 1
                    raise outer.error
                return await super().execute_activity(input)

        return Failing(next)


async def steps_taken(handle: WorkflowHandle[Any, Any]) -> list[tuple[str, str]]:
    """(where, step) in history order: "worker" for a local activity's marker,
    "server" for a scheduled activity task."""
    taken = []
    async for event in handle.fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            taken.append(("server", name))
        elif event.marker_recorded_event_attributes.marker_name == "core_local_activity":
            data = event.marker_recorded_event_attributes.details["data"].payloads[0].data
            taken.append(("worker", json.loads(data)["activity_type"]))
    return taken
