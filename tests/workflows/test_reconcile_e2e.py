"""Never miss a payment: on the real Temporal dev server, with the real receiver, worker,
SMTP server and the fake Moota over HTTP, 200 transfers end paid exactly once, whether
their webhooks were lost or raced reconciliation for every one of them."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlmodel import col
from temporalio.client import Client
from temporalio.worker import Worker

from mootaflow.domain.settings import Settings
from mootaflow.store.databases import Databases
from mootaflow.store.db import Sessions
from mootaflow.store.tables import Delivery, InboxMutation, Invoice, Order, Payment
from mootaflow.workflows.reconcile import ReconcileResult
from tests.support.fakemoota import RunningFakeMoota, running_fake_moota
from tests.support.flows import API
from tests.support.reconcile import count, reconcile, sources, wait_paid, with_moota
from tests.support.servers import RunningReceiver
from tests.support.smtp import SmtpServer

COUNT = 200
ACCOUNT = "1234567890"


@pytest.fixture
async def fake_moota() -> AsyncIterator[RunningFakeMoota]:
    async with running_fake_moota() as running:
        # The BCA account: date-only dates, as the real one gives.
        running.fake.add_bank(bank_id="bcaBank0001", account_number=ACCOUNT)
        yield running


@pytest.fixture
def settings(settings: Settings, fake_moota: RunningFakeMoota) -> Settings:
    # No merchant callbacks: 200 of them would only slow this down (tested elsewhere).
    quieter = settings.model_copy(
        update={"merchant_callback_url": None, "merchant_callback_secret": None}
    )
    return with_moota(quieter, fake_moota)


# 200 payments each, on a machine shared with other work: room for a slow disk.
pytestmark = pytest.mark.timeout(900)


async def create_orders(receiver: RunningReceiver) -> list[dict[str, Any]]:
    gate = asyncio.Semaphore(8)

    async def one(n: int) -> dict[str, Any]:
        body = {"account_number": ACCOUNT, "amount": 150000, "customer_email": f"c{n}@toko.test"}
        async with gate:
            response = await receiver.http.post("/api/orders", json=body, headers=API)
        assert response.status_code == 201, response.text
        order: dict[str, Any] = response.json()
        return order

    return list(await asyncio.gather(*(one(n) for n in range(COUNT))))


def reconciled_total() -> float:
    value = REGISTRY.get_sample_value("mootaflow_reconciled_mutations_total", {"account": ACCOUNT})
    return value or 0.0


async def assert_each_paid_exactly_once(
    databases: Databases,
    client: Client,
    smtp: SmtpServer,
    orders: list[dict[str, Any]],
    queue: str,
) -> None:
    sessions = databases.sessions
    await wait_paid(sessions, COUNT)
    assert await count(databases.inbox, InboxMutation) == COUNT
    assert await count(sessions, Payment, col(Payment.status) == "paid") == COUNT
    assert await count(sessions, Invoice) == COUNT
    assert await count(sessions, Order, col(Order.paid_by_mutation_id).is_not(None)) == COUNT
    # One email each, to each customer (sent after the invoice: wait for the last).
    # Distinct by Message-ID: a retry whose record of the send failed (the database
    # busy under this load) re-sends the identical message, which receivers drop.
    async with asyncio.timeout(300):
        while len({m["Message-ID"] for m in smtp.sink.messages}) < COUNT:
            await asyncio.sleep(0.5)
    await asyncio.sleep(1)  # nothing more arrives
    for order in orders:
        emails = smtp.sink.to(order["customer_email"])
        assert len({m["Message-ID"] for m in emails}) == 1, order["ref"]
    assert len({m["Message-ID"] for m in smtp.sink.messages}) == COUNT
    # One workflow run per mutation, whichever path started it.
    runs = await client.count_workflows(
        f'WorkflowType = "PaymentWorkflow" AND TaskQueue = "{queue}"'
    )
    assert runs.count == COUNT


async def test_lost_webhooks_are_paid_through_reconciliation(
    receiver: RunningReceiver,
    worker: Worker,
    client: Client,
    settings: Settings,
    sessions: Sessions,
    databases: Databases,
    smtp: SmtpServer,
    fake_moota: RunningFakeMoota,
) -> None:
    fake = fake_moota.fake
    fake.webhooks.url = receiver.webhook_url
    fake.webhooks.drop_share = 0.3
    orders = await create_orders(receiver)
    before = reconciled_total()

    for order in orders:
        fake.add_mutation("bcaBank0001", order["amount"], push=True)
    await fake.webhooks.settle()
    dropped = {m for delivery in fake.webhooks.dropped for m in delivery.mutation_ids}
    assert 30 < len(dropped) < 90  # about 30% of 200, seeded

    result: ReconcileResult = await reconcile(client, settings.task_queue)
    [summary] = result.passes
    assert summary.new == len(dropped) and result.new == len(dropped)
    assert summary.known == COUNT - len(dropped)
    assert reconciled_total() - before == len(dropped)

    await assert_each_paid_exactly_once(databases, client, smtp, orders, settings.task_queue)
    found = await sources(sessions)
    assert {m for m, source in found.items() if source == "reconcile"} == dropped
    # Operators find them in the Temporal UI by source.
    query = f'MootaSource = "reconcile" AND TaskQueue = "{settings.task_queue}"'
    async with asyncio.timeout(20):
        while (await client.count_workflows(query)).count != len(dropped):
            await asyncio.sleep(0.5)
    shown = await receiver.http.get(f"/api/payments/{next(iter(dropped))}", headers=API)
    assert shown.json()["source"] == "reconcile"

    # A second pass finds nothing new: the alarm stays quiet when webhooks arrive.
    again = await reconcile(client, settings.task_queue)
    assert again.new == 0 and again.passes[0].known == COUNT


async def test_webhooks_and_reconciliation_racing_for_every_mutation_pay_once(
    receiver: RunningReceiver,
    worker: Worker,
    client: Client,
    settings: Settings,
    sessions: Sessions,
    databases: Databases,
    smtp: SmtpServer,
    fake_moota: RunningFakeMoota,
) -> None:
    fake = fake_moota.fake
    fake.webhooks.url = receiver.webhook_url
    orders = await create_orders(receiver)
    results: list[ReconcileResult] = []
    # Batches of 20 transfers: each one's webhook is on its way (pushed in the
    # background) while a pass lists the account, so the two race for every mutation.
    for batch in range(0, COUNT, 20):
        for order in orders[batch : batch + 20]:
            fake.add_mutation("bcaBank0001", order["amount"], push=True)
        results.append(await reconcile(client, settings.task_queue))
    await fake.webhooks.settle()
    results.append(await reconcile(client, settings.task_queue))

    await assert_each_paid_exactly_once(databases, client, smtp, orders, settings.task_queue)
    found = await sources(sessions)
    by_reconcile = sum(r.new for r in results)
    assert by_reconcile == len([s for s in found.values() if s == "reconcile"])
    assert len(found) == COUNT
    # Passes saw mutations the webhooks had brought, and webhooks came for mutations
    # passes had found (duplicates): who won each one varies from run to run.
    assert sum(r.passes[0].known for r in results) > 0
    assert results[-1].passes[0].known == COUNT
    assert len(fake.webhooks.deliveries) == COUNT
    assert all(d.delivered for d in fake.webhooks.deliveries)
    # Every mutation a pass found first had its webhook answered as a duplicate (and
    # a webhook the fake re-sent after a slow answer is one too).
    async with databases.inbox.begin() as session:
        duplicates = await session.scalar(
            select(func.sum(Delivery.duplicates)).where(col(Delivery.verdict) == "accepted")
        )
    assert (duplicates or 0) >= by_reconcile
