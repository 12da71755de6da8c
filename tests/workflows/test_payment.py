"""From a signed webhook to a paid order, an invoice, an email and a signed callback.

Real Temporal dev server, real SQLite, real SMTP server (aiosmtpd), real HTTP
server for the merchant's callbacks.
"""

import asyncio
import io
import json
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from pypdf import PdfReader
from temporalio.client import Client
from temporalio.worker import Worker

from mootaflow.activities.notify import SIGNATURE_HEADER
from mootaflow.domain.settings import Settings
from mootaflow.domain.signature import sign
from mootaflow.store.databases import Databases
from mootaflow.store.db import Sessions
from mootaflow.temporal.worker import build_worker
from mootaflow.workflows import search_attributes as sa
from mootaflow.workflows.payment import PaymentWorkflow
from tests.support.callbacks import Merchant
from tests.support.flows import API, create_order, pay, transfer
from tests.support.moota import jakarta_now, mutation
from tests.support.servers import RunningReceiver, running_receiver
from tests.support.smtp import SmtpServer
from tests.workflows.conftest import MERCHANT_SECRET


async def test_happy_path_webhook_to_paid_order_invoice_email_and_callback(
    receiver: RunningReceiver,
    client: Client,
    worker: Worker,
    smtp: SmtpServer,
    merchant: Merchant,
) -> None:
    order = await create_order(
        receiver, customer_email="budi@example.com", customer_name="Budi", merchant_ref="SO-1"
    )
    item = transfer(order)
    [state] = await pay(receiver, client, item)
    assert (state.status, state.order_ref) == ("paid", order["ref"])
    assert state.notifications == {
        "customer_email": "sent",
        "merchant_callback": "sent",
        "moota_write_back": "off",  # no Moota token configured
    }
    number = state.invoice_number
    assert number is not None and number.startswith("INV-")

    shown = (await receiver.http.get(f"/api/orders/{order['ref']}", headers=API)).json()
    assert shown["status"] == "paid"
    assert shown["payment"]["mutation_id"] == item["mutation_id"]
    assert shown["invoice"] == {"number": number, "url": f"/api/invoices/{number}.pdf"}

    pdf = (await receiver.http.get(shown["invoice"]["url"], headers=API)).content
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert number in text
    assert f"Rp 150.{order['unique_code']:03d}" in text

    [email] = smtp.sink.to("budi@example.com")
    [attachment] = list(email.iter_attachments())
    assert attachment.get_filename() == f"{number}.pdf"
    assert attachment.get_content() == pdf

    [callback] = merchant.received
    assert callback.headers[SIGNATURE_HEADER.lower()] == sign(callback.body, MERCHANT_SECRET)
    assert callback.headers["idempotency-key"] == f"order.paid:{order['ref']}"
    event = json.loads(callback.body)
    assert event["event"] == "order.paid"
    assert event["order"]["merchant_ref"] == "SO-1"
    assert event["payment"]["mutation_id"] == item["mutation_id"]
    assert event["invoice"]["number"] == number

    payment = (await receiver.http.get(f"/api/payments/{item['mutation_id']}", headers=API)).json()
    assert (payment["status"], payment["order_ref"]) == ("paid", order["ref"])
    assert payment["notifications"]["customer_email"]["status"] == "sent"
    assert payment["notifications"]["merchant_callback"]["status"] == "sent"

    handle = client.get_workflow_handle(f"moota-mutation-{item['mutation_id']}")
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(sa.PAYMENT_STATUS) == "paid"
    assert attributes.get(sa.ORDER_REF) == order["ref"]
    assert (await handle.query(PaymentWorkflow.status)).status == "paid"
    # The Web UI's "current details" line.
    metadata = await handle.query("__temporal_workflow_metadata")
    amount = f"Rp 150.{order['unique_code']:03d}"
    assert metadata.current_details == f"paid · {amount} to 1234567890 · order {order['ref']}"


async def test_reference_in_the_description_pays_that_order(
    receiver: RunningReceiver, client: Client, worker: Worker
) -> None:
    order = await create_order(receiver)
    spaced = order["ref"].replace("-", " ").lower()
    [state] = await pay(receiver, client, transfer(order, description=f"TRSF {spaced}"))
    assert (state.status, state.order_ref) == ("paid", order["ref"])


@pytest.mark.parametrize(("delta", "reason"), [(-1000, "underpaid"), (5000, "overpaid")])
async def test_reference_with_the_wrong_amount_is_flagged(
    receiver: RunningReceiver, client: Client, worker: Worker, delta: int, reason: str
) -> None:
    order = await create_order(receiver)
    item = transfer(order, amount=order["amount"] + delta, note=order["ref"])
    [state] = await pay(receiver, client, item)
    assert (state.status, state.flag_reason, state.candidates) == (
        "awaiting_approval",
        reason,
        [order["ref"]],
    )
    await _assert_flag_visible(receiver, client, item["mutation_id"], reason)


async def test_unknown_amount_is_no_match(
    receiver: RunningReceiver, client: Client, worker: Worker
) -> None:
    item = mutation(amount=777)
    [state] = await pay(receiver, client, item)
    assert (state.status, state.flag_reason) == ("awaiting_approval", "no_match")
    await _assert_flag_visible(receiver, client, item["mutation_id"], "no_match")


async def test_two_references_are_ambiguous(
    receiver: RunningReceiver, client: Client, worker: Worker
) -> None:
    first, second = await create_order(receiver), await create_order(receiver, amount=99000)
    item = transfer(first, description=f"{first['ref']} {second['ref']}")
    [state] = await pay(receiver, client, item)
    assert state.flag_reason == "ambiguous"
    assert sorted(state.candidates) == sorted([first["ref"], second["ref"]])


async def test_paying_an_order_twice_flags_the_second_transfer(
    receiver: RunningReceiver, client: Client, worker: Worker, smtp: SmtpServer
) -> None:
    order = await create_order(receiver, customer_email="twice@example.com")
    [first] = await pay(receiver, client, transfer(order))
    [second] = await pay(receiver, client, transfer(order))
    assert first.status == "paid"
    assert (second.status, second.flag_reason) == ("awaiting_approval", "already_paid")
    assert len(smtp.sink.to("twice@example.com")) == 1


async def test_transfer_after_expiry_is_flagged(
    receiver: RunningReceiver, client: Client, worker: Worker
) -> None:
    order = await create_order(receiver, expires_in_minutes=1)
    late = transfer(order, date=jakarta_now(timedelta(minutes=3)))
    [state] = await pay(receiver, client, late)
    assert (state.flag_reason, state.candidates) == ("expired_order", [order["ref"]])


async def test_debit_is_ignored(receiver: RunningReceiver, client: Client, worker: Worker) -> None:
    order = await create_order(receiver)
    [state] = await pay(receiver, client, transfer(order, type="DB"))
    assert state.status == "ignored"
    shown = (await receiver.http.get(f"/api/orders/{order['ref']}", headers=API)).json()
    assert shown["status"] == "open"


async def test_high_value_is_flagged_even_when_it_matches(
    settings: Settings, client: Client, sessions: Sessions, databases: Databases
) -> None:
    # The threshold is the worker's setting: matching happens in its activity.
    strict = settings.model_copy(update={"high_value_threshold": Decimal(100_000)})
    async with (
        running_receiver(strict) as receiver,
        httpx.AsyncClient() as http,
        build_worker(client, strict, databases, http),
    ):
        order = await create_order(receiver)
        [state] = await pay(receiver, client, transfer(order))
    assert (state.status, state.flag_reason, state.order_ref) == (
        "awaiting_approval",
        "high_value",
        order["ref"],
    )


async def test_racing_mutations_never_pay_one_order_twice(
    receiver: RunningReceiver,
    client: Client,
    worker: Worker,
    smtp: SmtpServer,
    merchant: Merchant,
) -> None:
    order = await create_order(receiver, customer_email="race@example.com")
    states = await pay(receiver, client, transfer(order), transfer(order), transfer(order))
    assert sorted(s.status for s in states) == ["awaiting_approval", "awaiting_approval", "paid"]
    assert {s.flag_reason for s in states if s.status != "paid"} == {"already_paid"}
    assert len(smtp.sink.to("race@example.com")) == 1
    assert len(merchant.received) == 1


async def _assert_flag_visible(
    receiver: RunningReceiver, client: Client, mutation_id: str, reason: str
) -> None:
    payment = (await receiver.http.get(f"/api/payments/{mutation_id}", headers=API)).json()
    assert (payment["status"], payment["flag_reason"]) == ("awaiting_approval", reason)
    query = f'FlagReason = "{reason}" AND MootaMutationId = "{mutation_id}"'
    async with asyncio.timeout(10):
        while not [w async for w in client.list_workflows(query)]:
            await asyncio.sleep(0.2)
