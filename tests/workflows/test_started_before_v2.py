"""Runs that started before patch decisions-v2 keep their original path (their
histories replay: test_replay). What they do from now on, on the time-skipping server:
they take decisions by Update too, and a decision received while a reminder was still
retrying past the deadline is applied instead of dropped (patch
held-decision-at-deadline)."""

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from temporalio import workflow
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from mootaflow.domain.decisions import DecisionOutcome
from mootaflow.domain.moota import parse_mutation
from mootaflow.domain.settings import Settings
from mootaflow.store.databases import Databases
from mootaflow.store.db import Sessions
from mootaflow.temporal.worker import build_worker
from mootaflow.workflows import patches
from mootaflow.workflows.payment import PaymentWorkflow
from mootaflow.workflows.payment_types import PaymentInput, PaymentState
from tests.support.moota import mutation
from tests.support.smtp import SmtpServer
from tests.support.temporal import skip_time, start_payment
from tests.workflows.conftest import FINANCE_EMAIL
from tests.workflows.test_approval import new_order


@workflow.defn(name="PaymentWorkflow", sandboxed=False)
class StartedBeforeV2(PaymentWorkflow):
    """The current code on the path of a run whose history has no decisions-v2 marker.
    (A real such run replays its own history to get there; this one is told.)"""

    def __init__(self) -> None:
        super().__init__()
        self._v2 = False

    @workflow.run
    async def run(self, payment: PaymentInput) -> PaymentState:
        return await super().run(payment)


@pytest.fixture
async def env(
    time_env: WorkflowEnvironment, settings: Settings, sessions: Sessions, databases: Databases
) -> AsyncIterator[WorkflowEnvironment]:
    async with (
        httpx.AsyncClient() as http,
        build_worker(time_env.client, settings, databases, http, workflows=[StartedBeforeV2]),
    ):
        yield time_env


async def flagged(
    env: WorkflowEnvironment, settings: Settings, **fields: object
) -> WorkflowHandle[PaymentWorkflow, PaymentState]:
    handle = await start_payment(
        env.client, settings.task_queue, parse_mutation(mutation(**fields))
    )
    while "finance" not in (await handle.query(PaymentWorkflow.status)).notifications:
        await env.sleep(timedelta(seconds=0))
    return handle


async def test_an_old_run_takes_an_update(
    env: WorkflowEnvironment, settings: Settings, sessions: Sessions
) -> None:
    order = await new_order(sessions)
    handle = await flagged(env, settings, amount=int(order.amount) - 4, note=order.ref)
    # Applied by today's code: it says what happens to the Rp 4 (patch allocations).
    approval = {"by": "Sari", "difference": "accept"}
    outcome = await handle.execute_update("approve", approval, result_type=DecisionOutcome)
    assert (outcome.result, outcome.order_ref) == ("booked", order.ref)
    assert (await handle.result()).status == "paid"


async def test_an_old_run_applies_a_decision_held_while_a_reminder_retried_past_the_deadline(
    env: WorkflowEnvironment, settings: Settings, sessions: Sessions, smtp: SmtpServer
) -> None:
    order = await new_order(sessions)
    handle = await flagged(env, settings, amount=int(order.amount) - 4, note=order.ref)
    smtp.sink.deferred.add(FINANCE_EMAIL)
    await skip_time(env, timedelta(hours=30))  # the first reminder retries, the loop waits on it
    await handle.signal(PaymentWorkflow.approve, {"by": "Sari", "difference": "accept"})
    await skip_time(env, timedelta(hours=50))  # past the 72 h deadline
    smtp.sink.deferred.clear()  # the reminder gets through, after the deadline
    state = await handle.result()
    assert (state.status, state.order_ref) == ("paid", order.ref)
    assert state.decision is not None and state.decision.by == "Sari"
    # The new behaviour is marked in the history, so runs that went the old way
    # (the decision dropped, unresolved) still replay as they ran.
    history = await handle.fetch_history()
    markers = [
        json.loads(e.marker_recorded_event_attributes.details["patch-data"].payloads[0].data)
        for e in history.events
        if e.marker_recorded_event_attributes.marker_name == "core_patch"
    ]
    assert patches.HELD_DECISION_AT_DEADLINE in [m["id"] for m in markers]
