"""write_back_to_moota on its own (ActivityEnvironment), against the fake Moota over HTTP:
the note and tags each state calls for, written once however often it runs."""

from collections.abc import AsyncIterator

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from mootaflow.activities.contracts import WriteBackInput
from mootaflow.activities.writeback import WriteBackActivities
from mootaflow.domain.settings import Settings
from mootaflow.mootaapi import MootaClient
from mootaflow.store import writeback as store
from mootaflow.store.databases import Databases
from mootaflow.store.db import Sessions
from tests.support.fakemoota import RunningFakeMoota
from tests.support.reconcile import with_moota
from tests.support.writeback import Payments


@pytest.fixture
def settings(settings: Settings, fake_moota: RunningFakeMoota) -> Settings:
    return with_moota(settings, fake_moota)


@pytest.fixture
async def moota(fake_moota: RunningFakeMoota) -> AsyncIterator[MootaClient]:
    async with fake_moota.client() as client:
        yield client


@pytest.fixture
def payments(databases: Databases, settings: Settings, fake_moota: RunningFakeMoota) -> Payments:
    return Payments(databases, settings, fake_moota)


async def write_back(
    sessions: Sessions, settings: Settings, moota: MootaClient, mutation_id: str
) -> str:
    activities = WriteBackActivities(sessions, settings, moota)
    result = await ActivityEnvironment().run(
        activities.write_back_to_moota, WriteBackInput(mutation_id)
    )
    return result.status


async def test_a_paid_payment_is_noted_and_tagged_once(
    sessions: Sessions,
    settings: Settings,
    moota: MootaClient,
    fake_moota: RunningFakeMoota,
    payments: Payments,
) -> None:
    mutation, order_ref, invoice = await payments.paid()
    mutation_id = mutation.mutation_id
    fake = fake_moota.fake
    assert await write_back(sessions, settings, moota, mutation_id) == "written"
    calls = len(fake.requests)
    assert await write_back(sessions, settings, moota, mutation_id) == "already_written"
    assert fake.note_calls(mutation_id) == [f"{invoice} order {order_ref} (mootaflow)"]
    assert fake.tags_of(mutation_id) == ["paid", order_ref]
    assert len(fake.requests) == calls  # the second run asked Moota nothing at all


async def test_a_flagged_payment_is_tagged_then_retagged_when_finance_decides(
    sessions: Sessions,
    settings: Settings,
    moota: MootaClient,
    fake_moota: RunningFakeMoota,
    payments: Payments,
) -> None:
    order = await payments.order()
    stray = await payments.received(123_456)  # matches no order
    assert await write_back(sessions, settings, moota, stray.mutation_id) == "written"
    fake = fake_moota.fake
    assert fake.tags_of(stray.mutation_id) == ["flagged", "no_match"]
    assert fake.note_calls(stray.mutation_id) == []

    # Finance tags something by hand in Moota's dashboard; mootaflow leaves it be.
    await moota.attach_tags(stray.mutation_id, ["checked-by-sari"])
    order_ref, invoice = await payments.book(stray, str(order["ref"]))  # approved
    assert await write_back(sessions, settings, moota, stray.mutation_id) == "written"
    assert fake.tags_of(stray.mutation_id) == ["checked-by-sari", "paid", order_ref]
    assert fake.note_calls(stray.mutation_id) == [f"{invoice} order {order_ref} (mootaflow)"]

    rejected = await payments.received(99_999)
    await payments.reject(rejected)
    assert await write_back(sessions, settings, moota, rejected.mutation_id) == "written"
    assert fake.tags_of(rejected.mutation_id) == ["rejected"]


async def test_a_retry_after_a_failure_repeats_nothing_already_written(
    sessions: Sessions,
    settings: Settings,
    moota: MootaClient,
    fake_moota: RunningFakeMoota,
    payments: Payments,
) -> None:
    mutation, order_ref, _ = await payments.paid()
    fake = fake_moota.fake
    # The note goes through, then Moota fails on the tags (retries included).
    fake.faults.outage(500, path="/tagging/mutation/")
    with pytest.raises(ApplicationError) as failed:
        await write_back(sessions, settings, moota, mutation.mutation_id)
    assert not failed.value.non_retryable and failed.value.type == "MootaUnavailable"
    fake.faults.clear()
    assert await write_back(sessions, settings, moota, mutation.mutation_id) == "written"
    assert len(fake.note_calls(mutation.mutation_id)) == 1
    assert fake.tags_of(mutation.mutation_id) == ["paid", order_ref]


async def test_a_refused_token_is_a_visible_non_retryable_failure(
    sessions: Sessions,
    settings: Settings,
    moota: MootaClient,
    fake_moota: RunningFakeMoota,
    payments: Payments,
) -> None:
    mutation, _, _ = await payments.paid()
    fake_moota.fake.tokens = {"another-token"}
    with pytest.raises(ApplicationError) as failed:
        await write_back(sessions, settings, moota, mutation.mutation_id)
    assert failed.value.non_retryable and "MOOTAFLOW_MOOTA_API_TOKEN" in failed.value.message
    async with sessions.begin() as session:
        written = await store.get_written(session, mutation.mutation_id)
    assert written.status == "failed" and "MOOTAFLOW_MOOTA_API_TOKEN" in written.detail


async def test_mutations_moota_does_not_know_are_skipped(
    sessions: Sessions,
    settings: Settings,
    moota: MootaClient,
    fake_moota: RunningFakeMoota,
    payments: Payments,
) -> None:
    mutation, _, _ = await payments.paid()
    del fake_moota.fake.ledger.mutations[mutation.mutation_id]  # e.g. a simulated delivery
    assert await write_back(sessions, settings, moota, mutation.mutation_id) == "skipped"
    calls = len(fake_moota.fake.requests)
    assert await write_back(sessions, settings, moota, mutation.mutation_id) == "skipped"
    assert len(fake_moota.fake.requests) == calls


async def test_nothing_is_written_when_turned_off_or_for_ignored_payments(
    sessions: Sessions,
    settings: Settings,
    moota: MootaClient,
    fake_moota: RunningFakeMoota,
    payments: Payments,
) -> None:
    mutation, _, _ = await payments.paid()
    off = settings.model_copy(update={"moota_write_back": False})
    assert await write_back(sessions, off, moota, mutation.mutation_id) == "off"
    assert fake_moota.fake.requests == []
    debit = await payments.received(5_000, "DB")
    assert await write_back(sessions, settings, moota, debit.mutation_id) == "nothing_to_write"
    assert fake_moota.fake.requests == []
