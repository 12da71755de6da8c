"""`mootaflow replay` against the dev server: running workflows replay against the
current code; a changed workflow that would break them is caught, by workflow id."""

from pathlib import Path
from typing import Any

from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker

from mootaflow.cli.replay import replay_histories
from mootaflow.domain.moota import parse_mutation
from mootaflow.domain.settings import Settings
from tests.support.moota import mutation
from tests.support.processes import clean_env, run_mootaflow
from tests.support.temporal import settled, start_payment


@workflow.defn(name="PaymentWorkflow", sandboxed=False)
class ReorderedPaymentWorkflow:
    """An incompatible edit: a timer first, where running histories have an activity."""

    @workflow.run
    async def run(self, payment: Any) -> None:
        await workflow.sleep(1)


async def test_running_workflows_replay_and_a_breaking_change_is_named(
    client: Client, worker: Worker, settings: Settings, tmp_path: Path
) -> None:
    parsed = parse_mutation(mutation(amount=31))
    await start_payment(client, settings.task_queue, parsed)
    assert (await settled(client, parsed.workflow_id)).status == "awaiting_approval"
    query = f'WorkflowId = "{parsed.workflow_id}" AND ExecutionStatus = "Running"'

    env = clean_env(MOOTAFLOW_TEMPORAL_ADDRESS=settings.temporal_address)
    result = await run_mootaflow("replay", "--query", query, env=env, cwd=tmp_path)
    assert result.code == 0, result.stdout + result.stderr
    assert "1 workflow histories replayed against this code, 0 failed." in result.stdout
    everything = await run_mootaflow("replay", "--limit", "5", env=env, cwd=tmp_path)
    assert everything.code == 0, everything.stdout + everything.stderr

    report = await replay_histories(client, query, workflows=[ReorderedPaymentWorkflow])
    assert report.replayed == 1
    assert list(report.failures) == [parsed.workflow_id]
    assert "Nondeterminism" in report.failures[parsed.workflow_id]


async def test_temporal_away_is_a_clear_error(tmp_path: Path) -> None:
    env = clean_env(MOOTAFLOW_TEMPORAL_ADDRESS="127.0.0.1:1")
    result = await run_mootaflow("replay", env=env, cwd=tmp_path)
    assert result.code == 2
    assert "could not reach Temporal" in result.stderr
