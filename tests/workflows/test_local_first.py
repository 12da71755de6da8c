"""Patch local-first: a payment's steps make their first attempt in the worker (local
activities) and go through the server only when that attempt fails and may be retried."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Interceptor, Replayer

from mootaflow.domain.settings import Settings
from mootaflow.store import payments
from mootaflow.store.databases import Databases
from mootaflow.store.db import reading
from mootaflow.temporal.client import DATA_CONVERTER
from mootaflow.temporal.worker import build_worker
from mootaflow.workflows.payment import PaymentWorkflow
from tests.support.flows import create_order, pay, transfer
from tests.support.local import FailInWorker, steps_taken
from tests.support.servers import RunningReceiver


@asynccontextmanager
async def worker_with(
    client: Client, settings: Settings, databases: Databases, *interceptors: Interceptor
) -> AsyncIterator[None]:
    async with (
        httpx.AsyncClient() as http,
        build_worker(client, settings, databases, http, interceptors=interceptors),
    ):
        yield


async def test_a_payment_without_trouble_is_settled_in_the_worker(
    receiver: RunningReceiver,
    client: Client,
    settings: Settings,
    databases: Databases,
) -> None:
    async with worker_with(client, settings, databases):
        order = await create_order(receiver, customer_email="budi@example.com")
        item = transfer(order)
        [state] = await pay(receiver, client, item)
    assert state.status == "paid" and state.notifications["customer_email"] == "sent"
    taken = await steps_taken(client.get_workflow_handle(f"moota-mutation-{item['mutation_id']}"))
    # Without a Moota token the run does not ask for a write-back at all: nothing
    # went through the server.
    assert [step for where, step in taken if where == "server"] == []
    assert state.notifications["moota_write_back"] == "off"
    in_worker = [step for where, step in taken if where == "worker"]
    # Opened, matched and booked in one step (patch settle-at-once).
    assert in_worker[:2] == ["settle_payment", "generate_invoice"]
    assert sorted(in_worker[2:]) == ["notify_customer", "notify_merchant"]


async def test_a_failed_first_attempt_goes_on_as_a_regular_activity(
    receiver: RunningReceiver, client: Client, settings: Settings, databases: Databases
) -> None:
    failing = FailInWorker("settle_payment", ApplicationError("database is locked", type="Busy"))
    async with worker_with(client, settings, databases, failing):
        order = await create_order(receiver, customer_email="budi@example.com")
        item = transfer(order)
        [state] = await pay(receiver, client, item)
    assert (state.status, state.order_ref) == ("paid", order["ref"])
    assert failing.failed == 1  # once in the worker, then through the server
    taken = await steps_taken(client.get_workflow_handle(f"moota-mutation-{item['mutation_id']}"))
    assert taken[:2] == [("worker", "settle_payment"), ("server", "settle_payment")]
    # The next step starts in the worker again.
    assert taken[2] == ("worker", "generate_invoice")


async def test_a_settle_whose_answer_was_lost_is_not_taken_for_a_resend(
    receiver: RunningReceiver, client: Client, settings: Settings, databases: Databases
) -> None:
    """The first attempt commits and its answer is lost (as when the worker dies then):
    the attempt through the server finds the run's own work, not a re-sent mutation."""
    lost = FailInWorker("settle_payment", ApplicationError("worker gone"), after=True)
    async with worker_with(client, settings, databases, lost):
        order = await create_order(receiver, customer_email="budi@example.com")
        item = transfer(order)
        [state] = await pay(receiver, client, item)
    assert (state.status, state.order_ref, state.resent) == ("paid", order["ref"], False)
    assert state.invoice_number and state.notifications["customer_email"] == "sent"
    handle = client.get_workflow_handle(f"moota-mutation-{item['mutation_id']}")
    taken = await steps_taken(handle)
    assert taken[:3] == [
        ("worker", "settle_payment"),
        ("server", "settle_payment"),
        ("worker", "generate_invoice"),
    ]
    async with reading(databases.sessions) as session:
        assert await payments.resends(session, item["mutation_id"]) == []
    replayed = await Replayer(
        workflows=[PaymentWorkflow], data_converter=DATA_CONVERTER
    ).replay_workflow(await handle.fetch_history())
    assert replayed.replay_failure is None


async def test_a_business_failure_in_the_worker_is_final(
    receiver: RunningReceiver, client: Client, settings: Settings, databases: Databases
) -> None:
    """Non-retryable: final, as it would have been through the server, and handled by
    the workflow as any failed step (the payment stays paid, the email is marked)."""
    refusal = ApplicationError("550 mailbox unavailable", type="Refused", non_retryable=True)
    failing = FailInWorker("notify_customer", refusal)
    async with worker_with(client, settings, databases, failing):
        order = await create_order(receiver, customer_email="budi@example.com")
        item = transfer(order)
        [state] = await pay(receiver, client, item)
    assert state.status == "paid"
    assert state.notifications["customer_email"] == "failed: 550 mailbox unavailable"
    taken = await steps_taken(client.get_workflow_handle(f"moota-mutation-{item['mutation_id']}"))
    assert ("worker", "notify_customer") in taken
    assert ("server", "notify_customer") not in taken
    assert failing.failed == 1
