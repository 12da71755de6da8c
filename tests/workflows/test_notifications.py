"""Notifications under failure: retried while transient, visible when permanent."""

import asyncio

from temporalio.client import Client
from temporalio.worker import Worker

from mootaflow.store import notifications
from mootaflow.store.db import Sessions
from mootaflow.workflows.payment_types import PaymentState
from tests.support.callbacks import Merchant
from tests.support.flows import create_order, pay, transfer
from tests.support.local import steps_taken
from tests.support.moota import body_of, post_signed
from tests.support.servers import RunningReceiver
from tests.support.smtp import SmtpServer
from tests.support.temporal import wait_for_workflow


async def wait_for_attempt(client: Client, workflow_id: str, activity: str, attempt: int) -> None:
    """Until `activity` of the workflow is pending at `attempt` or later."""
    handle = client.get_workflow_handle(workflow_id)
    async with asyncio.timeout(30):
        while True:
            pending = (await handle.describe()).raw_description.pending_activities
            if any(p.activity_type.name == activity and p.attempt >= attempt for p in pending):
                return
            await asyncio.sleep(0.2)


async def test_smtp_down_then_up_delivers_the_email_once(
    receiver: RunningReceiver,
    client: Client,
    worker: Worker,
    smtp: SmtpServer,
) -> None:
    smtp.stop()
    order = await create_order(receiver, customer_email="later@example.com")
    item = transfer(order)
    workflow_id = f"moota-mutation-{item['mutation_id']}"
    assert (await post_signed(receiver.http, body_of(item))).status_code == 200
    await wait_for_workflow(client, workflow_id)
    await wait_for_attempt(client, workflow_id, "notify_customer", 2)

    smtp.start()
    handle = client.get_workflow_handle(workflow_id, result_type=PaymentState)
    state = await asyncio.wait_for(handle.result(), 60)
    assert state.status == "paid"
    assert state.notifications["customer_email"] == "sent"
    assert len(smtp.sink.to("later@example.com")) == 1


async def test_permanently_refused_recipient_fails_visibly_and_payment_stays_paid(
    receiver: RunningReceiver,
    client: Client,
    worker: Worker,
    smtp: SmtpServer,
    merchant: Merchant,
    sessions: Sessions,
) -> None:
    smtp.sink.refused.add("nobody@example.com")
    order = await create_order(receiver, customer_email="nobody@example.com")
    item = transfer(order)
    [state] = await pay(receiver, client, item)
    assert state.status == "paid"
    assert state.notifications["customer_email"].startswith("failed: email to nobody@example.com")
    assert "550" in state.notifications["customer_email"]
    assert state.notifications["merchant_callback"] == "sent"
    assert smtp.sink.messages == []
    async with sessions.begin() as session:
        sent = await session.run_sync(notifications.for_mutation, item["mutation_id"])
    rows = {n.kind: n for n in sent}
    assert rows["customer_email"].status == "failed"
    # One attempt only (in the worker): a permanent refusal is not retried.
    taken = await steps_taken(client.get_workflow_handle(f"moota-mutation-{item['mutation_id']}"))
    assert [t for t in taken if t[1] == "notify_customer"] == [("worker", "notify_customer")]


async def test_merchant_5xx_is_retried_and_delivered_once(
    receiver: RunningReceiver, client: Client, worker: Worker, merchant: Merchant
) -> None:
    merchant.answers = [503, 500]
    order = await create_order(receiver)
    [state] = await pay(receiver, client, transfer(order))
    assert state.notifications["merchant_callback"] == "sent"
    assert len(merchant.received) == 3
    assert len({r.body for r in merchant.received}) == 1  # the same bytes every time


async def test_merchant_4xx_is_not_retried(
    receiver: RunningReceiver, client: Client, worker: Worker, merchant: Merchant
) -> None:
    merchant.answers = [422]
    order = await create_order(receiver)
    [state] = await pay(receiver, client, transfer(order))
    assert state.status == "paid"
    assert state.notifications["merchant_callback"] == (
        "failed: merchant refused the callback: HTTP 422"
    )
    assert len(merchant.received) == 1
