"""Patch local-first: a payment's steps make their first attempt in the worker (local
activities) and go through the server only when that attempt fails and may be retried."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Interceptor, Replayer

import mootaflow.activities.invoicing as invoicing
from mootaflow.activities.invoice_pdf import InvoiceData, render_invoice
from mootaflow.domain.settings import Settings
from mootaflow.store import invoices, payments
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
    # Opened, matched, booked and invoiced in one step (patch settle-at-once).
    assert in_worker[0] == "settle_payment"
    assert sorted(in_worker[1:]) == ["notify_customer", "notify_merchant"]
    assert state.invoice_number is not None
    async with reading(databases.sessions) as session:
        invoice = await invoices.get_invoice(session, state.invoice_number)
    assert invoice is not None and invoice.pdf and invoice.order_ref == order["ref"]


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
    # The attempt through the server issued the invoice; the next step (a notice)
    # starts in the worker again.
    assert state.invoice_number and ("worker", "generate_invoice") not in taken
    assert taken[2] in {("worker", "notify_customer"), ("worker", "notify_merchant")}


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
        assert await session.run_sync(payments.resends, item["mutation_id"]) == []
    replayed = await Replayer(
        workflows=[PaymentWorkflow], data_converter=DATA_CONVERTER
    ).replay_workflow(await handle.fetch_history())
    assert replayed.replay_failure is None


async def test_an_invoice_that_fails_in_the_settle_step_is_issued_by_the_next_step(
    receiver: RunningReceiver,
    client: Client,
    settings: Settings,
    databases: Databases,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The settle step booked the order and numbered its invoice, then failed rendering
    it: it commits the booking and the number, and generate_invoice renders the same
    invoice. One number, no gap, the PDF stored, the customer told."""
    failures: list[str] = []

    def render_once_failing(data: InvoiceData) -> bytes:
        if not failures:
            failures.append(data.number)
            raise RuntimeError("font cache unreadable")
        return render_invoice(data)

    monkeypatch.setattr(invoicing, "render_invoice", render_once_failing)
    async with worker_with(client, settings, databases):
        order = await create_order(receiver, customer_email="budi@example.com")
        item = transfer(order)
        [state] = await pay(receiver, client, item)
    assert (state.status, state.order_ref, state.resent) == ("paid", order["ref"], False)
    assert failures == [state.invoice_number]  # the number the failed attempt gave it
    assert state.notifications["customer_email"] == "sent"
    taken = await steps_taken(client.get_workflow_handle(f"moota-mutation-{item['mutation_id']}"))
    assert taken[:2] == [("worker", "settle_payment"), ("worker", "generate_invoice")]
    async with reading(databases.sessions) as session:
        issued = await session.run_sync(invoices.invoice_for_order, order["ref"])
    assert issued is not None and issued.number == state.invoice_number and issued.pdf


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
