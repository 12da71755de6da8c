"""write_back_to_moota run by Temporal (a test-only workflow wired as PaymentWorkflow is
to call it): retried with its real policy, it writes one note and the right tags; a
Moota outage holds back the write-back, never the customer's email."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client
from temporalio.worker import Worker

from mootaflow.activities.notify import NotifyActivities
from mootaflow.activities.writeback import WriteBackActivities
from mootaflow.domain.settings import Settings
from mootaflow.mootaapi import NO_RETRIES, MootaClient
from mootaflow.store.db import Sessions
from tests.support.fakemoota import RunningFakeMoota, running_fake_moota
from tests.support.reconcile import with_moota
from tests.support.smtp import SmtpServer
from tests.support.writeback import Payments
from tests.support.writeback_flow import PaidTailWorkflow


@pytest.fixture
async def fake_moota() -> AsyncIterator[RunningFakeMoota]:
    async with running_fake_moota() as running:
        yield running


@pytest.fixture
def settings(settings: Settings, fake_moota: RunningFakeMoota) -> Settings:
    return with_moota(settings, fake_moota)


@pytest.fixture
async def tail_worker(
    client: Client, settings: Settings, sessions: Sessions
) -> AsyncIterator[Worker]:
    """The worker's own activities (as build_worker makes them) and the test workflow."""
    async with httpx.AsyncClient() as http:
        moota = MootaClient.from_settings(settings, http=http, retry=NO_RETRIES)
        notify = NotifyActivities(sessions, settings, http)
        write_back = WriteBackActivities(sessions, settings, moota)
        async with Worker(
            client,
            task_queue=settings.task_queue,
            workflows=[PaidTailWorkflow],
            activities=[notify.notify_customer, write_back.write_back_to_moota],
        ) as worker:
            yield worker


async def test_a_retried_write_back_writes_one_note_and_the_right_tags(
    client: Client,
    settings: Settings,
    sessions: Sessions,
    tail_worker: Worker,
    fake_moota: RunningFakeMoota,
) -> None:
    mutation, order_ref, invoice = await Payments(sessions, settings, fake_moota).paid()
    fake = fake_moota.fake
    # The note is written, then attaching the tags fails once: Temporal retries.
    fake.faults.fail_next(500, path="/tagging/mutation/")
    result = await client.execute_workflow(
        PaidTailWorkflow.run,
        mutation.mutation_id,
        id=f"test-tail-{uuid.uuid4().hex[:8]}",
        task_queue=settings.task_queue,
    )
    assert result == ["sent", "written"]
    assert fake.note_calls(mutation.mutation_id) == [f"{invoice} order {order_ref} (mootaflow)"]
    assert fake.tags_of(mutation.mutation_id) == ["paid", order_ref]
    tagging = [r.status for r in fake.requests_to("/tagging/mutation/")]
    assert tagging == [500, 200]  # two attempts, one note


async def test_a_moota_outage_does_not_delay_the_customer_s_email(
    client: Client,
    settings: Settings,
    sessions: Sessions,
    tail_worker: Worker,
    fake_moota: RunningFakeMoota,
    smtp: SmtpServer,
) -> None:
    mutation, order_ref, _ = await Payments(sessions, settings, fake_moota).paid()
    fake_moota.fake.faults.outage(503)
    handle = await client.start_workflow(
        PaidTailWorkflow.run,
        mutation.mutation_id,
        id=f"test-tail-{uuid.uuid4().hex[:8]}",
        task_queue=settings.task_queue,
    )
    async with asyncio.timeout(20):
        while not smtp.sink.to("budi@toko.test"):
            await asyncio.sleep(0.1)
    # The email is out while the write-back still waits for Moota.
    async with asyncio.timeout(10):
        while True:
            described = (await handle.describe()).raw_description
            pending = {a.activity_type.name: a for a in described.pending_activities}
            if pending.keys() == {"write_back_to_moota"}:  # the email activity completed
                break
            await asyncio.sleep(0.1)
    [write_back] = pending.values()
    assert write_back.state in (
        PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED,
        PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
    )
    assert "503" in write_back.last_failure.message
    fake_moota.fake.faults.clear()
    assert await handle.result() == ["sent", "written"]  # Moota back: the next attempt
    assert fake_moota.fake.tags_of(mutation.mutation_id) == ["paid", order_ref]
