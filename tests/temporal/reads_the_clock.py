"""A workflow that reads the clock, in a module of its own: the sandbox imports a
workflow's module again for each run, and the test module's imports would not pass."""

from datetime import datetime

from temporalio import workflow
from temporalio.worker.workflow_sandbox import RestrictedWorkflowAccessError


@workflow.defn(name="ReadsTheClock")
class ReadsTheClock:
    @workflow.run
    async def run(self) -> str:
        try:
            datetime.now()  # not deterministic
        except RestrictedWorkflowAccessError:
            return "refused"
        return "read"
