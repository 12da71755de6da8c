"""`mootaflow replay`: replay the histories of running workflows against this code.

Run it with the code about to be deployed, against the live Temporal, before the
deploy: a change that would send a running payment down another path than its
history (a non-deterministic change) shows here, by workflow id, instead of as
stuck workflow tasks in production. Use `workflow.patched` for such a change
(README, "Changing PaymentWorkflow safely").
"""

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from temporalio.client import Client
from temporalio.worker import Replayer

from mootaflow.domain.settings import Settings
from mootaflow.temporal.client import DATA_CONVERTER, connect
from mootaflow.workflows.payment import PaymentWorkflow
from mootaflow.workflows.retention import RetentionWorkflow

WORKFLOWS: Sequence[type] = (PaymentWorkflow, RetentionWorkflow)
RUNNING = (
    'ExecutionStatus = "Running" AND '
    '(WorkflowType = "PaymentWorkflow" OR WorkflowType = "RetentionWorkflow")'
)


@dataclass
class ReplayReport:
    replayed: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # workflow id -> why


async def replay_histories(
    client: Client,
    query: str = RUNNING,
    limit: int | None = None,
    workflows: Sequence[type] = WORKFLOWS,
) -> ReplayReport:
    """Fetch each matching workflow's history and replay it on `workflows`."""
    replayer = Replayer(workflows=list(workflows), data_converter=DATA_CONVERTER)
    histories = client.list_workflows(query, limit=limit).map_histories()
    report = ReplayReport()
    async with replayer.workflow_replay_iterator(histories) as results:
        async for result in results:
            report.replayed += 1
            if result.replay_failure is not None:
                report.failures[result.history.workflow_id] = str(result.replay_failure)[:500]
    return report


def replay(settings: Settings, query: str | None, limit: int | None) -> int:
    """Exit 0 when every history replays, 1 when one does not, 2 when Temporal is away."""

    async def run() -> ReplayReport:
        client = await connect(settings)
        return await replay_histories(client, query or RUNNING, limit)

    try:
        report = asyncio.run(run())
    except RuntimeError as exc:
        # Client.connect raises RuntimeError when Temporal does not answer.
        print(f"error: could not reach Temporal: {exc}", file=sys.stderr)
        return 2
    for workflow_id, why in sorted(report.failures.items()):
        print(f"NOT REPLAYABLE  {workflow_id}: {why}")
    print(
        f"{report.replayed} workflow histories replayed against this code, "
        f"{len(report.failures)} failed."
    )
    if report.failures:
        print(
            "Do not deploy: these running workflows would fail their workflow tasks. "
            "Guard the change with workflow.patched (README: Changing PaymentWorkflow safely).",
            file=sys.stderr,
        )
        return 1
    return 0
