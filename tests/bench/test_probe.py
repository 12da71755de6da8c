"""The bench's loss check against a real Temporal server: a workflow counts as there
when Temporal has it, whether or not its eventually consistent list shows it yet."""

import uuid

from bench.probe import missing_workflows, workflows_found
from temporalio.client import Client

from mootaflow.domain.moota import workflow_id_for


async def test_only_workflows_temporal_does_not_have_are_missing(
    client: Client, task_queue: str
) -> None:
    run = uuid.uuid4().hex[:8]
    started, never = [f"probe-{run}-0", f"probe-{run}-1"], f"probe-{run}-2"
    handles = [
        # No worker needed: a started workflow exists before any task of it runs.
        await client.start_workflow("NoWorkerNeeded", id=workflow_id_for(m), task_queue=task_queue)
        for m in started
    ]
    try:
        ids = [workflow_id_for(m) for m in (*started, never)]
        assert await missing_workflows(client, ids) == [workflow_id_for(never)]
        prefix = workflow_id_for(f"probe-{run}-")
        for sent in ([*started, never], started):
            found, found_by_id = await workflows_found(client, sent, prefix)
            assert found == 2
            assert found_by_id <= found
    finally:
        for handle in handles:
            await handle.terminate("test over")
