"""PaymentWorkflow writes the outcome back to Moota (write_back_to_moota, retried by
Temporal with its real policy): one note and the right tags once paid, `flagged` and
the reason while finance decides, `rejected` after; a Moota outage holds back the
write-back, never the customer's email."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from mootaflow.domain.decisions import DecisionOutcome
from mootaflow.domain.moota import parse_mutation
from mootaflow.domain.payments import NotificationKind, PaymentStatus
from mootaflow.domain.settings import Settings
from mootaflow.store.databases import Databases
from mootaflow.store.db import Sessions
from mootaflow.workflows.payment import PaymentWorkflow
from mootaflow.workflows.payment_types import PaymentState
from tests.support.fakemoota import RunningFakeMoota, running_fake_moota
from tests.support.reconcile import with_moota
from tests.support.smtp import SmtpServer
from tests.support.temporal import settled, start_payment
from tests.support.writeback import BANK, Payments

WRITE_BACK = NotificationKind.MOOTA_WRITE_BACK


@pytest.fixture
async def fake_moota() -> AsyncIterator[RunningFakeMoota]:
    async with running_fake_moota() as running:
        yield running


@pytest.fixture
def settings(settings: Settings, fake_moota: RunningFakeMoota) -> Settings:
    return with_moota(settings, fake_moota)


async def tags_become(fake: RunningFakeMoota, mutation_id: str, tags: list[str]) -> None:
    async with asyncio.timeout(20):
        while fake.fake.tags_of(mutation_id) != tags:
            await asyncio.sleep(0.1)


async def test_a_paid_payment_gets_one_note_and_the_right_tags_despite_a_failure(
    client: Client,
    settings: Settings,
    sessions: Sessions,
    databases: Databases,
    worker: Worker,
    fake_moota: RunningFakeMoota,
) -> None:
    order = await Payments(databases, settings, fake_moota).order()
    fake = fake_moota.fake
    mutation = parse_mutation(fake.add_mutation(BANK, str(order["amount"])))
    # The note is written, then attaching the tags fails once: Temporal retries.
    fake.faults.fail_next(500, path="/tagging/mutation/")
    handle = await start_payment(client, settings.task_queue, mutation)
    state = await handle.result()
    assert state.status == PaymentStatus.PAID
    assert state.notifications[WRITE_BACK] == "written"
    note = f"{state.invoice_number} order {order['ref']} (mootaflow)"
    assert fake.note_calls(mutation.mutation_id) == [note]
    assert fake.tags_of(mutation.mutation_id) == ["paid", order["ref"]]
    tagging = [r.status for r in fake.requests_to("/tagging/mutation/")]
    assert tagging == [500, 200]  # two attempts, one note


async def test_a_flagged_payment_is_tagged_then_retagged_when_rejected(
    client: Client,
    settings: Settings,
    sessions: Sessions,
    databases: Databases,
    worker: Worker,
    fake_moota: RunningFakeMoota,
) -> None:
    Payments(databases, settings, fake_moota)  # Moota knows the bank account
    mutation = parse_mutation(fake_moota.fake.add_mutation(BANK, "123457"))
    await start_payment(client, settings.task_queue, mutation)
    state = await settled(client, mutation.workflow_id)
    assert state.status == PaymentStatus.AWAITING_APPROVAL
    await tags_become(fake_moota, mutation.mutation_id, ["flagged", "no_match"])
    handle = client.get_workflow_handle(mutation.workflow_id, result_type=PaymentState)
    decision = {"by": "Sari", "reason": "refund"}
    outcome = await handle.execute_update("reject", decision, result_type=DecisionOutcome)
    assert outcome.result == "rejected"
    state = await handle.result()
    assert state.status == PaymentStatus.REJECTED
    assert state.notifications[WRITE_BACK] == "written"
    assert fake_moota.fake.tags_of(mutation.mutation_id) == ["rejected"]
    assert fake_moota.fake.note_calls(mutation.mutation_id) == []  # no invoice to name


async def test_a_moota_outage_does_not_delay_the_customer_s_email(
    client: Client,
    settings: Settings,
    sessions: Sessions,
    databases: Databases,
    worker: Worker,
    fake_moota: RunningFakeMoota,
    smtp: SmtpServer,
) -> None:
    order = await Payments(databases, settings, fake_moota).order()
    mutation = parse_mutation(fake_moota.fake.add_mutation(BANK, str(order["amount"])))
    fake_moota.fake.faults.outage(503)
    handle = await start_payment(client, settings.task_queue, mutation)
    async with asyncio.timeout(20):
        while not smtp.sink.to("budi@toko.test"):
            await asyncio.sleep(0.1)
    # The email is out, the payment is paid; the run waits for Moota only to end.
    async with asyncio.timeout(10):
        while True:
            pending = (await handle.describe()).raw_description.pending_activities
            if [a.activity_type.name for a in pending] == ["write_back_to_moota"]:
                break
            await asyncio.sleep(0.1)
    state = await handle.query(PaymentWorkflow.status)
    assert state.status == PaymentStatus.PAID
    assert state.notifications[NotificationKind.CUSTOMER_EMAIL] == "sent"
    assert WRITE_BACK not in state.notifications
    fake_moota.fake.faults.clear()
    state = await handle.result()  # Moota back: the next attempt writes
    assert state.notifications[WRITE_BACK] == "written"
    assert fake_moota.fake.tags_of(mutation.mutation_id) == ["paid", order["ref"]]
