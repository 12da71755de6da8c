"""A worker that is slow to answer Updates: each validator blocks its workflow task
for a while, as a worker busy with other work does. The task starts at once, so the
workflow's clock (the task's start) is early; its answer reaches the server late."""

import time

from temporalio.worker import (
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)


class SlowValidator(Interceptor):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        seconds = self.seconds

        class _Slow(WorkflowInboundInterceptor):
            def handle_update_validator(self, input: HandleUpdateInput) -> None:
                # Blocks only the workflow task's thread, as busy workflow code would.
                time.sleep(seconds)
                super().handle_update_validator(input)

        return _Slow
