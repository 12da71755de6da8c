"""Determinism guard: recorded histories must replay against the current workflow code.

A change that alters the sequence of commands for an existing history (a new
activity inserted before an old one, say) fails here instead of in production.
Re-record with `python -m tests.workflows.record_history` only for intended,
versioned changes.
"""

from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer, Worker

from mootaflow.domain.moota import parse_mutation
from mootaflow.workflows.payment import PaymentWorkflow
from mootaflow.workflows.temporal import DATA_CONVERTER
from tests.support.moota import mutation
from tests.support.temporal import settled, start_payment

HISTORIES = Path(__file__).parent / "histories"


def replayer() -> Replayer:
    return Replayer(workflows=[PaymentWorkflow], data_converter=DATA_CONVERTER)


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_recorded_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json("recorded", path.read_text())
    result = await replayer().replay_workflow(history)
    assert result.replay_failure is None


def test_there_is_a_recorded_history() -> None:
    assert sorted(HISTORIES.glob("*.json")), (
        "record one with python -m tests.workflows.record_history"
    )


async def test_fresh_history_replays(client: Client, task_queue: str, worker: Worker) -> None:
    parsed = parse_mutation(mutation())
    handle = await start_payment(client, task_queue, parsed)
    await settled(client, parsed.workflow_id)  # flagged no_match, waiting for finance
    await handle.signal(PaymentWorkflow.reject, {"by": "Sari", "reason": "test"})
    await handle.result()
    result = await replayer().replay_workflow(await handle.fetch_history())
    assert result.replay_failure is None
