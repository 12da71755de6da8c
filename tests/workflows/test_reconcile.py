"""ReconcileWorkflow against a misbehaving Moota (the fake, over HTTP) on the real
Temporal dev server: Moota's 429 then 500, a refused token, mutations arriving
while it pages, a run killed between pages; and the schedule.

The transfers here are debits: their payments end `ignored` at once, which keeps
the worker free for what is being tested.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlmodel import col
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from mootaflow.domain.settings import Settings
from mootaflow.store import reconcile as store
from mootaflow.store.databases import Databases
from mootaflow.store.db import Sessions
from mootaflow.store.tables import InboxMutation, MootaAccount, ReconcilePass
from mootaflow.temporal.reconcile import RECONCILE_SCHEDULE_ID, ensure_reconcile_schedule
from mootaflow.temporal.worker import build_worker
from mootaflow.workflows import retries
from tests.support.fakemoota import RunningFakeMoota, running_fake_moota
from tests.support.reconcile import count, reconcile, start_reconcile, with_moota

BANK = "briBank0001"


@pytest.fixture
async def fake_moota() -> AsyncIterator[RunningFakeMoota]:
    async with running_fake_moota() as running:
        running.fake.add_bank(bank_id=BANK, account_number="0987654321", bank_type="bri")
        yield running


@pytest.fixture
def settings(settings: Settings, fake_moota: RunningFakeMoota) -> Settings:
    return with_moota(settings, fake_moota)


def debits(fake: RunningFakeMoota, n: int) -> list[str]:
    items = fake.fake.add_mutations(BANK, [10_000 + i for i in range(n)], mutation_type="DB")
    return [item["mutation_id"] for item in items]


def pages_asked(fake: RunningFakeMoota) -> list[int]:
    """The page numbers of every listing request, in order (answered or not)."""
    return [int(parse_qs(r.query)["page"][0]) for r in fake.fake.requests_to("/mutation", "GET")]


async def test_a_page_answering_429_then_500_is_retried(
    worker: Worker,
    client: Client,
    settings: Settings,
    inbox_sessions: Sessions,
    fake_moota: RunningFakeMoota,
) -> None:
    debits(fake_moota, 20)
    fake_moota.fake.faults.fail_next(429, retry_after=1, path="/mutation")
    fake_moota.fake.faults.fail_next(500, path="/mutation")
    result = await reconcile(client, settings.task_queue, per_page=15)
    [summary] = result.passes
    assert (summary.pages, summary.listed, summary.new) == (2, 20, 20)
    statuses = [r.status for r in fake_moota.fake.requests_to("/mutation", "GET")]
    assert statuses == [429, 500, 200, 200]
    assert await count(inbox_sessions, InboxMutation) == 20


async def test_a_refused_token_fails_the_run_visibly_once(
    worker: Worker, client: Client, settings: Settings, fake_moota: RunningFakeMoota
) -> None:
    fake_moota.fake.tokens = {"another-token"}  # ours was revoked
    with pytest.raises(WorkflowFailureError) as failed:
        await reconcile(client, settings.task_queue)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "MootaAuthError"
    assert "MOOTAFLOW_MOOTA_API_TOKEN" in cause.message
    assert "another-token" not in cause.message and fake_moota.token not in cause.message
    # Not retried: one call, then the failure (the next scheduled run tries again).
    assert [r.status for r in fake_moota.fake.requests_to("/bank")] == [401]


async def test_a_token_refused_between_pages_fails_the_run_once(
    worker: Worker, client: Client, settings: Settings, fake_moota: RunningFakeMoota
) -> None:
    debits(fake_moota, 20)
    fake_moota.fake.faults.fail_next(401, path="/mutation")
    with pytest.raises(WorkflowFailureError) as failed:
        await reconcile(client, settings.task_queue, per_page=15)
    assert "MOOTAFLOW_MOOTA_API_TOKEN" in str(failed.value.cause)
    assert [r.status for r in fake_moota.fake.requests_to("/mutation")] == [401]


async def test_mutations_arriving_while_it_pages_are_not_missed(
    worker: Worker,
    client: Client,
    settings: Settings,
    inbox_sessions: Sessions,
    fake_moota: RunningFakeMoota,
) -> None:
    before = debits(fake_moota, 45)  # three pages of 15
    fake_moota.fake.faults.slow_next(0.4, count=6, path="/mutation")
    handle = await start_reconcile(client, settings.task_queue, per_page=15)
    # Once the first page is out, 20 transfers arrive: Moota lists newest first, so
    # everything already listed shifts 20 places towards later pages.
    async with asyncio.timeout(20):
        while not fake_moota.fake.requests_to("/mutation"):
            await asyncio.sleep(0.05)
    during = debits(fake_moota, 20)
    first = (await handle.result()).passes[0]
    assert first.listed > 45  # shifted items came again, counted once
    async with inbox_sessions.begin() as session:
        rows = set((await session.execute(select(col(InboxMutation.mutation_id)))).scalars())
    assert set(before) <= rows  # nothing that existed was skipped

    # What arrived meanwhile is this pass's or the next one's (its range overlaps).
    second = (await reconcile(client, settings.task_queue, per_page=15)).passes[0]
    assert first.new + second.new == 65
    async with inbox_sessions.begin() as session:
        rows = set((await session.execute(select(col(InboxMutation.mutation_id)))).scalars())
    assert rows == set(before) | set(during)


async def test_a_run_killed_between_pages_is_resumed_from_the_saved_page(
    worker: Worker,
    client: Client,
    settings: Settings,
    inbox_sessions: Sessions,
    fake_moota: RunningFakeMoota,
) -> None:
    debits(fake_moota, 60)  # four pages of 15
    fake_moota.fake.faults.slow_next(0.5, count=8, path="/mutation")
    handle = await start_reconcile(client, settings.task_queue, per_page=15)
    async with asyncio.timeout(30):
        while await count(inbox_sessions, ReconcilePass, col(ReconcilePass.pages) >= 2) == 0:
            await asyncio.sleep(0.05)
    await handle.terminate("the worker's host died")
    async with inbox_sessions.begin() as session:
        [crashed] = await store.recent_passes(session)
        account = await session.get(MootaAccount, BANK)
    assert crashed.finished_at is None and account is not None and account.pass_id == crashed.id

    result = await reconcile(client, settings.task_queue, per_page=15)
    [summary] = result.passes
    assert summary.pass_id == crashed.id  # the same pass, taken up where it stopped
    assert (summary.pages, summary.listed, summary.new) == (4, 60, 60)
    asked = pages_asked(fake_moota)
    assert asked.count(1) == 1 and asked.count(2) == 1  # saved pages are not listed again
    assert await count(inbox_sessions, InboxMutation) == 60
    async with inbox_sessions.begin() as session:
        account = await session.get(MootaAccount, BANK)
    assert account is not None and account.pass_id is None and account.cursor is not None


async def test_only_named_accounts_are_reconciled(
    worker: Worker, client: Client, settings: Settings, fake_moota: RunningFakeMoota
) -> None:
    fake_moota.fake.add_bank(bank_id="bcaBank0001", account_number="1234567890")
    result = await reconcile(client, settings.task_queue, accounts=["0987654321"])
    assert [p.bank_id for p in result.passes] == [BANK]
    with pytest.raises(WorkflowFailureError) as failed:
        await reconcile(client, settings.task_queue, accounts=["555"])
    assert "no Moota bank account 555" in str(failed.value.cause)


async def test_an_account_failing_its_pass_does_not_stop_the_others(
    worker: Worker, client: Client, settings: Settings, fake_moota: RunningFakeMoota
) -> None:
    fake_moota.fake.add_bank(bank_id="bcaBank0001", account_number="1234567890")
    debits(fake_moota, 3)
    # Moota answers the first account's listing 404 (it was disconnected meanwhile).
    fake_moota.fake.faults.fail_next(404, path="/mutation")
    with pytest.raises(WorkflowFailureError) as failed:
        await reconcile(client, settings.task_queue)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "ReconcileIncomplete"
    assert "Data not found" in cause.message
    [partial] = cause.details
    assert len(partial["passes"]) == 1 and len(partial["failures"]) == 1
    assert len(fake_moota.fake.requests_to("/mutation")) == 2  # the 404 is not retried


async def test_a_check_passes_again_after_its_follow_up_delay(
    time_env: WorkflowEnvironment,
    settings: Settings,
    inbox_sessions: Sessions,
    fake_moota: RunningFakeMoota,
    databases: Databases,
) -> None:
    """On the time-skipping server: the 90 s wait between a check's two rounds."""
    debits(fake_moota, 3)
    async with (
        httpx.AsyncClient() as http,
        build_worker(time_env.client, settings, databases, http),
    ):
        result = await reconcile(
            time_env.client,
            settings.task_queue,
            accounts=[BANK],
            trigger="check",
            follow_up_seconds=90,
        )
    assert [(p.trigger, p.new, p.known) for p in result.passes] == [
        ("check", 3, 0),
        ("check", 0, 3),
    ]


async def test_the_schedule_follows_the_settings(client: Client, settings: Settings) -> None:
    assert await ensure_reconcile_schedule(client, settings) == "created"
    handle = client.get_schedule_handle(RECONCILE_SCHEDULE_ID)
    described = await handle.describe()
    assert described.schedule.spec.intervals[0].every == timedelta(minutes=15)
    action = described.schedule.action
    assert action.task_queue == settings.task_queue  # type: ignore[attr-defined]
    # A run that cannot end (its queue renamed) would make the schedule skip the rest.
    assert action.execution_timeout == retries.RECONCILE_RUN  # type: ignore[attr-defined]

    faster = settings.model_copy(update={"reconcile_interval_minutes": 5})
    assert await ensure_reconcile_schedule(client, faster) == "updated"
    described = await handle.describe()
    assert described.schedule.spec.intervals[0].every == timedelta(minutes=5)

    # No token: no reconciliation, and the schedule of an earlier start is removed.
    off = settings.model_copy(update={"moota_api_token": None})
    assert await ensure_reconcile_schedule(client, off) == "deleted"
    assert await ensure_reconcile_schedule(client, off) == "off"
    assert not [s async for s in await client.list_schedules() if s.id == RECONCILE_SCHEDULE_ID]
    assert isinstance(settings.moota_api_token, SecretStr)
