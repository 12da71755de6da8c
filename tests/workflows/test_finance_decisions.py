"""The finance API's synchronous answer, on the real dev server: what finance sees when
decisions race each other, the order was paid meanwhile, no worker answers, the
decision falls in the window before the wait, or the payment ended unresolved."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Interceptor

from mootaflow.activities import contracts as steps
from mootaflow.domain.moota import workflow_id_for
from mootaflow.domain.settings import Settings
from mootaflow.store import payments
from mootaflow.store.databases import Databases
from mootaflow.store.db import Sessions
from mootaflow.temporal.worker import build_worker
from mootaflow.workflows.payment import PaymentWorkflow
from mootaflow.workflows.payment_types import PaymentState
from tests.support.flows import create_order, pay, transfer
from tests.support.local import FailInWorker
from tests.support.moota import body_of, mutation, post_signed
from tests.support.pause import PauseAfter
from tests.support.servers import RunningReceiver, running_receiver
from tests.support.slow_validator import SlowValidator
from tests.support.temporal import count_runs, settled

SARI = {"Authorization": "Bearer sari-finance-token"}
BUDI = {"Authorization": "Bearer budi-finance-token"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "finance_tokens": ["Sari:sari-finance-token", "Budi:budi-finance-token"],
            "decision_accept_seconds": 2.0,
        }
    )


@asynccontextmanager
async def running_worker(
    client: Client, settings: Settings, databases: Databases, *interceptors: Interceptor
) -> AsyncIterator[None]:
    async with (
        httpx.AsyncClient() as http,
        build_worker(client, settings, databases, http, interceptors=interceptors),
    ):
        yield


async def payment(receiver: RunningReceiver, mutation_id: str) -> dict[str, Any]:
    response = await receiver.http.get(f"/api/payments/{mutation_id}", headers=SARI)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def approved_in_a_new_run(
    receiver: RunningReceiver,
    client: Client,
    sessions: Sessions,
    item: dict[str, Any],
    order: dict[str, Any],
    note: str,
) -> PaymentState:
    """Sari approves the payment, whose run has ended: booked at once, by a second run
    that resumes it; the decision is recorded."""
    answered = await receiver.http.post(
        f"/api/payments/{item['mutation_id']}/approve",
        json={"note": note, "difference": "accept"},
        headers=SARI,
    )
    assert answered.status_code == 200, answered.text
    assert (answered.json()["result"], answered.json()["order_ref"]) == ("booked", order["ref"])
    workflow_id = workflow_id_for(item["mutation_id"])
    final: PaymentState = await client.get_workflow_handle(
        workflow_id, result_type=PaymentState
    ).result()
    assert (final.status, final.resent) == ("paid", True)
    assert await count_runs(client, workflow_id) == 2
    async with sessions.begin() as session:
        decision = await payments.get_decision(session, item["mutation_id"])
    assert decision is not None and (decision.decided_by, decision.note) == ("Sari", note)
    return final


async def test_two_finance_users_deciding_at_once_one_wins_the_other_gets_409_naming_who(
    receiver: RunningReceiver,
    client: Client,
    settings: Settings,
    sessions: Sessions,
    databases: Databases,
) -> None:
    async with running_worker(client, settings, databases):
        order = await create_order(receiver)
        item = transfer(order, amount=order["amount"] - 2, note=order["ref"])  # underpaid
        [state] = await pay(receiver, client, item)
        assert state.status == "awaiting_approval"
        base = f"/api/payments/{item['mutation_id']}"
        sari, budi = await asyncio.gather(
            receiver.http.post(
                f"{base}/approve", json={"note": "ok", "difference": "accept"}, headers=SARI
            ),
            receiver.http.post(f"{base}/reject", json={"reason": "not ours"}, headers=BUDI),
        )
    answers = {"Sari": sari, "Budi": budi}
    assert sorted(r.status_code for r in answers.values()) == [200, 409], (sari.text, budi.text)
    [winner] = [name for name, r in answers.items() if r.status_code == 200]
    loser = answers["Budi" if winner == "Sari" else "Sari"].json()
    assert (loser["error"], loser["decided_by"]) == ("already_decided", winner)
    assert winner in loser["detail"]
    shown = await payment(receiver, item["mutation_id"])
    assert shown["decision"]["by"] == winner
    assert shown["status"] == ("paid" if winner == "Sari" else "rejected")


async def test_approval_naming_an_order_paid_meanwhile_is_refused_at_once(
    receiver: RunningReceiver,
    client: Client,
    settings: Settings,
    sessions: Sessions,
    databases: Databases,
) -> None:
    async with running_worker(client, settings, databases):
        order = await create_order(receiver)
        stray = mutation(amount=order["amount"] + 1000)  # no_match
        [state] = await pay(receiver, client, stray)
        assert state.status == "awaiting_approval"
        [paid] = await pay(receiver, client, transfer(order))  # the customer paid it meanwhile
        assert paid.status == "paid"

        started = time.monotonic()
        refused = await receiver.http.post(
            f"/api/payments/{stray['mutation_id']}/approve",
            json={"order_ref": order["ref"]},
            headers=SARI,
        )
        assert time.monotonic() - started < 2
        assert (refused.status_code, refused.json()["error"]) == (409, "order_already_paid")
        assert paid.mutation_id in refused.json()["detail"]
        assert (await payment(receiver, stray["mutation_id"]))["status"] == "awaiting_approval"
        handle = client.get_workflow_handle(f"moota-mutation-{stray['mutation_id']}")
        waiting = await handle.query(PaymentWorkflow.status)
        assert (waiting.status, waiting.decision) == ("awaiting_approval", None)


async def test_no_worker_answers_503_with_retry_after_and_nothing_is_applied(
    receiver: RunningReceiver,
    client: Client,
    settings: Settings,
    sessions: Sessions,
    databases: Databases,
) -> None:
    item = mutation(amount=4321)
    url = f"/api/payments/{item['mutation_id']}/reject"
    async with running_worker(client, settings, databases):
        [state] = await pay(receiver, client, item)
        assert state.status == "awaiting_approval"

    started = time.monotonic()
    unavailable = await receiver.http.post(url, json={"reason": "test"}, headers=SARI)
    waited = time.monotonic() - started
    assert unavailable.status_code == 503, unavailable.text
    assert unavailable.headers["retry-after"] == "2"
    assert "not applied" in unavailable.json()["detail"]
    assert 1.5 < waited < 6

    async with running_worker(client, settings, databases):
        # The worker is back and sees the old Update: expired, refused, not applied.
        handle = client.get_workflow_handle(
            f"moota-mutation-{item['mutation_id']}", result_type=PaymentState
        )
        await asyncio.sleep(1)
        assert (await handle.query(PaymentWorkflow.status)).status == "awaiting_approval"
        assert (await payment(receiver, item["mutation_id"]))["decision"] is None
        answered = await receiver.http.post(url, json={"reason": "test"}, headers=SARI)
        assert answered.status_code == 200, answered.text
        assert (answered.json()["result"], answered.json()["payment"]["status"]) == (
            "rejected",
            "rejected",
        )
        assert (await asyncio.wait_for(handle.result(), 30)).status == "rejected"


async def test_a_decision_a_slow_worker_takes_after_the_wait_is_answered_not_503(
    receiver: RunningReceiver,
    client: Client,
    settings: Settings,
    sessions: Sessions,
    databases: Databases,
) -> None:
    """The workflow task started before the decision expired, so the workflow accepts
    it, but the worker answers after the API stopped waiting: the API must not say
    "not applied, send it again" about a decision that was applied."""
    item = mutation(amount=4322)
    async with running_worker(client, settings, databases):
        [state] = await pay(receiver, client, item)
        assert state.status == "awaiting_approval"

    # Each validator takes 1.5 s (under the SDK's 2 s deadlock detector); the API
    # waits 0.5 s for acceptance.
    quick = settings.model_copy(update={"decision_accept_seconds": 0.5})
    async with (
        running_receiver(quick) as receiver,
        running_worker(client, settings, databases, SlowValidator(1.5)),
    ):
        url = f"/api/payments/{item['mutation_id']}/reject"
        answered = await receiver.http.post(url, json={"reason": "test"}, headers=SARI)
        assert answered.status_code == 200, answered.text
        assert answered.json()["result"] == "rejected"
        again = await receiver.http.post(url, json={"reason": "test"}, headers=SARI)
        assert (again.status_code, again.json()["error"]) == (409, "already_decided")


@pytest.mark.parametrize("attempt", ["in the worker", "through the server"])
async def test_decision_in_the_window_before_the_wait_is_held_and_applied(
    receiver: RunningReceiver,
    client: Client,
    settings: Settings,
    sessions: Sessions,
    databases: Databases,
    attempt: str,
) -> None:
    """settle_payment committed (the API sees awaiting_approval) but the workflow has not
    taken its result yet: the decision is applied and answered once applied. In the
    worker (a local activity) the Update waits for the workflow task; through the
    server (the first attempt failed) the workflow holds it until it reaches the wait."""
    order = await create_order(receiver)
    item = transfer(order, amount=order["amount"] + 3, note=order["ref"])  # overpaid
    pause = PauseAfter("settle_payment")
    interceptors: list[Interceptor] = [pause]
    if attempt == "through the server":
        interceptors.append(FailInWorker("settle_payment", ApplicationError("locked")))
    async with (
        httpx.AsyncClient() as http,
        build_worker(client, settings, databases, http, interceptors=interceptors),
    ):
        response = await post_signed(receiver.http, body_of(item))
        assert response.status_code == 200
        await asyncio.wait_for(pause.reached.wait(), 30)
        assert (await payment(receiver, item["mutation_id"]))["status"] == "awaiting_approval"
        decision = asyncio.create_task(
            receiver.http.post(
                f"/api/payments/{item['mutation_id']}/approve",
                json={"difference": "accept"},
                headers=SARI,
            )
        )
        handle = client.get_workflow_handle(f"moota-mutation-{item['mutation_id']}")
        if attempt == "through the server":
            async with asyncio.timeout(10):
                while not (await handle.query(PaymentWorkflow.status)).held_decisions:
                    await asyncio.sleep(0.05)
        else:
            # Well within the 2 s the API waits for a worker to take the decision.
            await asyncio.sleep(0.5)
            assert not decision.done()
        pause.released.set()
        answered = await asyncio.wait_for(decision, 30)
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert (body["result"], body["order_ref"], body["payment"]["status"]) == (
        "booked",
        order["ref"],
        "paid",
    )


async def test_a_decision_while_finance_is_being_told_ends_the_reminders(
    receiver: RunningReceiver, client: Client, settings: Settings, databases: Databases
) -> None:
    """Finance decides while the first notice to finance is still being sent: the
    notice is called off with the reminders and the run ends at once (it used to
    sleep until the next reminder, 24 h, and then remind finance of a decided payment)."""
    order = await create_order(receiver)
    item = transfer(order, amount=order["amount"] - 2, note=order["ref"])  # underpaid
    pause = PauseAfter("notify_finance")
    async with running_worker(client, settings, databases, pause):
        try:
            assert (await post_signed(receiver.http, body_of(item))).status_code == 200
            await asyncio.wait_for(pause.reached.wait(), 30)
            answered = await receiver.http.post(
                f"/api/payments/{item['mutation_id']}/approve",
                json={"difference": "accept"},
                headers=SARI,
            )
            assert answered.status_code == 200, answered.text
            handle = client.get_workflow_handle(
                f"moota-mutation-{item['mutation_id']}", result_type=PaymentState
            )
            state = await asyncio.wait_for(handle.result(), 30)
        finally:
            pause.released.set()
    assert (state.status, state.reminders) == ("paid", 0)
    assert "finance" not in state.notifications


async def test_unresolved_payment_is_still_decidable(
    client: Client, settings: Settings, sessions: Sessions, databases: Databases
) -> None:
    """Nobody decided in time: the run ended `unresolved`. The money did arrive, so a
    decision later starts a run that resumes the payment, without matching it again."""
    # Reminder after 0.5 s, unresolved after 1.5 s (fixed per run when it starts).
    quick = settings.model_copy(
        update={"approval_reminder_hours": 0.5 / 3600, "approval_timeout_hours": 1.5 / 3600}
    )
    async with running_receiver(quick) as receiver, running_worker(client, quick, databases):
        order = await create_order(receiver)
        item = transfer(order, amount=order["amount"] - 9, note=order["ref"])  # underpaid
        response = await post_signed(receiver.http, body_of(item))
        assert response.status_code == 200
        workflow_id = f"moota-mutation-{item['mutation_id']}"
        ended = await settled(client, workflow_id)
        async with asyncio.timeout(30):
            while ended.status != "unresolved":
                ended = await client.get_workflow_handle(
                    workflow_id, result_type=PaymentState
                ).result()
        assert ended.reminders >= 1
        # Counted for the operators' "unresolved" alert.
        scraped = (await receiver.http.get("/metrics")).text
        assert 'mootaflow_payments_waiting{status="unresolved"} 1.0' in scraped

        final = await approved_in_a_new_run(receiver, client, sessions, item, order, "late")
        shown = await payment(receiver, item["mutation_id"])
    assert final.flag_reason == "underpaid"
    assert shown["resends"] == [{"at": shown["resends"][0]["at"], "status_found": "unresolved"}]


async def test_a_decision_for_a_payment_whose_run_is_gone_starts_one(
    receiver: RunningReceiver,
    client: Client,
    settings: Settings,
    sessions: Sessions,
    databases: Databases,
) -> None:
    """The database says awaiting approval, but its run is gone (terminated here; or a
    Temporal that lost its state): the decision is sent as a plain Update first, then,
    refused for want of a run, with a start that resumes the payment."""
    async with running_worker(client, settings, databases):
        order = await create_order(receiver)
        item = transfer(order, amount=order["amount"] - 9, note=order["ref"])  # underpaid
        [state] = await pay(receiver, client, item)
        assert state.status == "awaiting_approval"
        workflow_id = workflow_id_for(item["mutation_id"])
        await client.get_workflow_handle(workflow_id).terminate("lost")
        await approved_in_a_new_run(receiver, client, sessions, item, order, "after the outage")


async def test_a_decision_taken_but_still_booking_is_answered_202_then_completes(
    client: Client, settings: Settings, databases: Databases
) -> None:
    """The workflow accepts the approval at once, but booking it takes longer than the
    API waits for the outcome: 202 "accepted" (it will complete), never 503 "not
    applied"; it completes once booking goes on."""
    quick = settings.model_copy(update={"decision_result_seconds": 1.0})
    slow_booking = PauseAfter(steps.ALLOCATE.name)
    async with (
        running_receiver(quick) as receiver,
        running_worker(client, quick, databases, slow_booking),
    ):
        order = await create_order(receiver)
        item = transfer(order, amount=order["amount"] - 9, note=order["ref"])  # underpaid
        [state] = await pay(receiver, client, item)
        assert state.status == "awaiting_approval"
        try:
            answered = await receiver.http.post(
                f"/api/payments/{item['mutation_id']}/approve",
                json={"difference": "accept"},
                headers=SARI,
            )
            assert answered.status_code == 202, answered.text
            assert answered.json()["result"] == "accepted"
            # The booking is (or, on a slow machine, is about to be) the step held.
            await asyncio.wait_for(slow_booking.reached.wait(), timeout=30)
        finally:
            slow_booking.released.set()
        workflow_id = workflow_id_for(item["mutation_id"])
        final = await client.get_workflow_handle(workflow_id, result_type=PaymentState).result()
    assert (final.status, final.order_ref) == ("paid", order["ref"])
