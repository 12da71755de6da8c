"""Determinism guard: recorded histories must replay against the current workflow code.

Every file in histories/ stands for workflows running in production: those from
before patch decisions-v2 (payment_paid, payment_flagged) and one per branch of
the current code (v2_*, recorded by `python -m tests.workflows.record_history`).
A change that alters the sequence of commands for any of them (a new activity
inserted before an old one, say) fails here instead of in production; guard it
with workflow.patched and record the new branch as a new file. Never re-record
an existing file to make this pass.
"""

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer, Worker

from mootaflow.domain.moota import parse_mutation
from mootaflow.temporal.client import DATA_CONVERTER
from mootaflow.workflows import patches
from mootaflow.workflows.payment import PaymentWorkflow
from mootaflow.workflows.retention import RetentionWorkflow
from tests.support.moota import mutation
from tests.support.temporal import settled, start_payment
from tests.workflows.record_history import CASES

HISTORIES = Path(__file__).parent / "histories"


def replayer() -> Replayer:
    return Replayer(workflows=[PaymentWorkflow, RetentionWorkflow], data_converter=DATA_CONVERTER)


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_recorded_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json("recorded", path.read_text())
    result = await replayer().replay_workflow(history)
    assert result.replay_failure is None


async def test_a_quiet_run_an_older_worker_began_replays_as_it_ran() -> None:
    """A worker from before patch quiet-merchant ignores the input's merchant_callback
    and asks for the callback; the worker taking over its run must replay that."""
    events = json.loads((HISTORIES / "settle_invoiced_paid.json").read_text())
    payload = events["events"][0]["workflowExecutionStartedEventAttributes"]["input"]
    [argument] = payload["payloads"]
    started = json.loads(base64.b64decode(argument["data"]))
    started["merchant_callback"] = False
    argument["data"] = base64.b64encode(json.dumps(started).encode()).decode()
    history = WorkflowHistory.from_json("older-worker", json.dumps(events))
    assert (await replayer().replay_workflow(history)).replay_failure is None


def test_every_branch_has_a_recorded_history() -> None:
    recorded = {path.stem for path in HISTORIES.glob("*.json")}
    # Runs started before decisions-v2 (recorded then, never re-recorded).
    assert {"payment_paid", "payment_flagged"} <= recorded
    for name in CASES:
        assert recorded & {name, f"{name}_run1"}, (
            f"record {name} with python -m tests.workflows.record_history {name}"
        )


def patch_ids(path: Path) -> set[str]:
    """The patches a recorded run took (its core_patch markers)."""
    found = set()
    for event in json.loads(path.read_text())["events"]:
        marker = event.get("markerRecordedEventAttributes", {})
        if marker.get("markerName") == "core_patch":
            for payload in marker["details"]["patch-data"]["payloads"]:
                found.add(json.loads(base64.b64decode(payload["data"]))["id"])
    return found


def test_old_histories_take_the_old_path_and_new_ones_the_new() -> None:
    """The patch markers decide the path: v2 histories carry decisions-v2, v3 ones
    moota-write-back as well, alloc ones allocations too, local ones local-first (and
    local activity markers, which no older history has), settle ones settle-at-once,
    base ones baseline-2026-11 alone (it stands for all of those)."""
    for path in HISTORIES.glob("payment_*.json"):
        assert patch_ids(path) == set(), path.name
    for path in HISTORIES.glob("v2_*.json"):
        expected = set() if "retention" in path.name else {patches.DECISIONS_V2}
        assert patch_ids(path) == expected, path.name
    for path in HISTORIES.glob("v3_*.json"):
        assert patch_ids(path) == {patches.DECISIONS_V2, patches.MOOTA_WRITE_BACK}, path.name
    # A run that took a finance approval allocated it; the customer's second transfer
    # completing a partial payment matched on its own (no decision, no allocations marker).
    for path in HISTORIES.glob("alloc_*.json"):
        expected = {patches.DECISIONS_V2, patches.MOOTA_WRITE_BACK}
        if path.stem != "alloc_partial_then_completed_run2":
            expected.add(patches.ALLOCATIONS)
        assert patch_ids(path) == expected, path.name
    # Since local-first the same steps make their first attempt in the worker.
    for path in HISTORIES.glob("local_*.json"):
        base = {patches.DECISIONS_V2, patches.LOCAL_FIRST}
        later = {patches.MOOTA_WRITE_BACK, patches.ALLOCATIONS}
        if path.stem == "local_reminders_called_off":
            base.add(patches.REMINDERS_CALLED_OFF)
        assert base <= patch_ids(path) <= base | later, path.name
        assert "core_local_activity" in markers(path), path.name
    settle_or_later = {*HISTORIES.glob("settle_*.json"), *HISTORIES.glob("base_*.json")}
    # Since settle-at-once a fresh payment is opened, matched and booked in one step,
    # and each change of status is one upsert (status, order and flag reason together).
    for path in HISTORIES.glob("settle_*.json"):
        base = {patches.DECISIONS_V2, patches.SETTLE_AT_ONCE, patches.LOCAL_FIRST}
        later = {patches.MOOTA_WRITE_BACK, patches.ALLOCATIONS, patches.REMINDERS_CALLED_OFF}
        if path.stem.startswith("settle_quiet_"):
            later.add(patches.QUIET_MERCHANT)
        assert base <= patch_ids(path) <= base | later, path.name
        steps = local_steps(path)
        assert steps[0] == "settle_payment", path.name
        assert not {"open_payment", "match_order"} & set(steps), path.name
        if path.stem == "settle_paid":
            assert upserts(path) == [{"PaymentStatus", "OrderRef"}]
    # Since baseline-2026-11 a run records one patch marker for all of the above.
    for path in HISTORIES.glob("base_*.json"):
        assert patch_ids(path) == {patches.BASELINE_2026_11}, path.name
        assert local_steps(path)[0] == "settle_payment", path.name
    assert upserts(HISTORIES / "base_paid.json") == [{"PaymentStatus", "OrderRef"}]
    # Since settle_payment issues the invoice of the order it pays, a payment paid on
    # arrival takes no invoice step; histories recorded before take theirs.
    notices = {"notify_customer", "notify_merchant"}
    for name, before in [
        ("settle_paid", True),
        ("settle_partial_then_completed_run2", True),
        ("settle_invoiced_paid", False),
        ("settle_invoiced_partial_then_completed_run2", False),
    ]:
        steps = local_steps(HISTORIES / f"{name}.json")
        assert set(steps[1:]) == notices | ({"generate_invoice"} if before else set()), name
    # Since allocate records the decision and issues the invoice in its transaction, an
    # approval takes one step before the notices; histories recorded before take three.
    for name, before in [
        ("settle_flagged_approved_by_update", True),
        ("settle_three_orders", True),
        ("settle_booked_flagged_approved_by_update", False),
        ("settle_booked_accept_shortfall", False),
        ("settle_booked_three_orders", False),
    ]:
        steps = local_steps(HISTORIES / f"{name}.json")
        own = ["record_decision", "generate_invoice"] if before else []
        assert steps[: 2 + len(own)] == ["settle_payment", "allocate", *own], name
        assert set(steps[2 + len(own) :]) == notices, name
    local = {*HISTORIES.glob("local_*.json"), *settle_or_later}
    # Since quiet-merchant a run started without a merchant callback tells the customer
    # and asks the worker for no callback; every other run that tells the customer
    # asks for one.
    for path in local:
        steps = local_steps(path)
        if "notify_customer" in steps:
            quiet = patches.QUIET_MERCHANT in patch_ids(path) or (
                path.stem.startswith("base_") and not started_with(path)["merchant_callback"]
            )
            assert ("notify_merchant" in steps) is not quiet, path.name
    for path in set(HISTORIES.glob("*.json")) - local:
        assert "core_local_activity" not in markers(path), path.name
    for path in set(HISTORIES.glob("*.json")) - settle_or_later:
        assert "settle_payment" not in local_steps(path), path.name


def local_steps(path: Path) -> list[str]:
    """The steps a recorded run took in the worker, in order."""
    return [
        json.loads(base64.b64decode(marker["details"]["data"]["payloads"][0]["data"]))[
            "activity_type"
        ]
        for event in json.loads(path.read_text())["events"]
        if (marker := event.get("markerRecordedEventAttributes", {})).get("markerName")
        == "core_local_activity"
    ]


def upserts(path: Path) -> list[set[str]]:
    """The search attributes of each of the run's own upserts, in order (not the SDK's
    TemporalChangeVersion, one per patch)."""
    return [names for names in all_upserts(path) if names != {"TemporalChangeVersion"}]


def all_upserts(path: Path) -> list[set[str]]:
    return [
        set(
            event["upsertWorkflowSearchAttributesEventAttributes"]["searchAttributes"][
                "indexedFields"
            ]
        )
        for event in json.loads(path.read_text())["events"]
        if "upsertWorkflowSearchAttributesEventAttributes" in event
    ]


def started_with(path: Path) -> dict[str, Any]:
    """The run's input (PaymentInput, as JSON)."""
    started = json.loads(path.read_text())["events"][0]
    payload = started["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    found: dict[str, Any] = json.loads(base64.b64decode(payload["data"]))
    return found


def markers(path: Path) -> set[str]:
    return {
        event["markerRecordedEventAttributes"]["markerName"]
        for event in json.loads(path.read_text())["events"]
        if "markerRecordedEventAttributes" in event
    }


async def test_fresh_history_replays(
    client: Client, task_queue: str, worker: Worker, tmp_path: Path
) -> None:
    """A run of the current code replays, and records one patch marker (baseline-2026-11)
    and one TemporalChangeVersion upsert, however many patched paths it takes."""
    parsed = parse_mutation(mutation())
    handle = await start_payment(client, task_queue, parsed)
    await settled(client, parsed.workflow_id)  # flagged no_match, waiting for finance
    await handle.signal(PaymentWorkflow.reject, {"by": "Sari", "reason": "test"})
    await handle.result()
    history = await handle.fetch_history()
    result = await replayer().replay_workflow(history)
    assert result.replay_failure is None
    path = tmp_path / "fresh.json"
    path.write_text(history.to_json())
    assert patch_ids(path) == {patches.BASELINE_2026_11}
    assert all_upserts(path).count({"TemporalChangeVersion"}) == 1
