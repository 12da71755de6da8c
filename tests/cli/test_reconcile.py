"""`mootaflow reconcile` by hand: the real command in a subprocess, against the fake
Moota over HTTP and a real database, no Temporal."""

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from mootaflow.domain.moota import JAKARTA, load_delivery, parse_delivery
from mootaflow.domain.settings import Settings
from mootaflow.fakemoota.laravel import php_json
from mootaflow.store import inbox
from mootaflow.store.db import Sessions
from mootaflow.store.one_call import in_session
from mootaflow.store.tables import InboxMutation
from tests.support.fakemoota import RunningFakeMoota, running_fake_moota
from tests.support.processes import Completed, clean_env, run_mootaflow

BANK = "bcaBank0001"
ACCOUNT = "1234567890"


@pytest.fixture
async def fake_moota() -> AsyncIterator[RunningFakeMoota]:
    async with running_fake_moota() as running:
        running.fake.add_bank(bank_id=BANK, account_number=ACCOUNT, label="BCA")
        yield running


async def run(
    settings: Settings, fake: RunningFakeMoota, *args: str, token: str | None = None
) -> Completed:
    env = clean_env(
        MOOTAFLOW_DATABASE_URL=settings.database_url,
        MOOTAFLOW_MOOTA_API_URL=fake.api_url,
        MOOTAFLOW_MOOTA_API_TOKEN=fake.token if token is None else token,
        MOOTAFLOW_LOG_FORMAT="console",
    )
    return await run_mootaflow("reconcile", *args, env=env)


async def webhook_delivered(inbox_sessions: Sessions, items: list[dict[str, object]]) -> None:
    body = php_json(items)
    loaded = load_delivery(body)
    facts = inbox.RequestFacts(
        datetime.now(UTC), "127.0.0.1", {}, len(body), hashlib.sha256(body).hexdigest()
    )
    async with inbox_sessions.begin() as session:
        await in_session(
            session, inbox.save_accepted, [inbox.Incoming(facts, parse_delivery(loaded), loaded)]
        )


async def test_a_hand_pass_over_ten_days_finds_what_no_webhook_brought(
    settings: Settings, inbox_sessions: Sessions, fake_moota: RunningFakeMoota
) -> None:
    fake = fake_moota.fake
    ten_days_ago = datetime.now(JAKARTA) - timedelta(days=10)
    old = fake.add_mutations(BANK, range(10_001, 10_021), when=ten_days_ago)
    recent = fake.add_mutations(BANK, range(20_001, 20_111))
    await webhook_delivered(inbox_sessions, recent[:100])  # these webhooks arrived
    since = (ten_days_ago - timedelta(days=1)).date().isoformat()

    result = await run(settings, fake_moota, "--since", since, "--account", ACCOUNT)
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "30 mutation(s) no webhook had brought" in result.stdout
    for item in old + recent[100:]:
        assert item["mutation_id"] in result.stdout
    assert "page 1/2" in result.stderr and "page 2/2" in result.stderr  # progress
    assert fake_moota.token not in result.stdout + result.stderr
    async with inbox_sessions.begin() as session:
        rows = (await session.execute(select(InboxMutation))).scalars().all()
    assert len(rows) == 130
    found = {r.mutation_id for r in rows if r.source == "reconcile"}
    assert found == {item["mutation_id"] for item in old + recent[100:]}
    assert all(r.state == "pending" for r in rows if r.source == "reconcile")  # for the redrive

    # Again: nothing new, everything known.
    again = await run(settings, fake_moota, "--since", since)
    assert again.code == 0 and "Nothing new" in again.stdout

    status = await run(settings, fake_moota, "--status")
    assert status.code == 0, status.stderr
    assert BANK in status.stdout and "hand" in status.stdout
    async with inbox_sessions.begin() as session:
        pending = await session.execute(
            select(col(InboxMutation.mutation_id)).where(col(InboxMutation.source) == "webhook")
        )
    assert len(pending.all()) == 100


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ((), 2, "--since DATE is required"),
        (("--since", "2026-13-01"), 2, "not a date (YYYY-MM-DD)"),
        (("--since", "2026-11-20", "--until", "2026-11-01"), 2, "is before --since"),
        (("--since", "2026-11-20", "--account", "555"), 1, "no Moota bank account 555"),
    ],
)
async def test_bad_arguments_get_a_clear_message(
    settings: Settings,
    fake_moota: RunningFakeMoota,
    args: tuple[str, ...],
    code: int,
    message: str,
) -> None:
    result = await run(settings, fake_moota, *args)
    assert (result.code, "Traceback" in result.stderr) == (code, False), result.stderr
    assert message in result.stderr


async def test_a_refused_or_missing_token_names_the_setting(
    settings: Settings, fake_moota: RunningFakeMoota
) -> None:
    refused = await run(settings, fake_moota, "--since", "2026-11-20", token="revoked-token")
    assert refused.code == 1
    assert "Moota refused the API token" in refused.stderr
    assert "MOOTAFLOW_MOOTA_API_TOKEN" in refused.stderr and "revoked-token" not in refused.stderr
    missing = await run(settings, fake_moota, "--since", "2026-11-20", token="")
    assert missing.code == 2 and "MOOTAFLOW_MOOTA_API_TOKEN is not set" in missing.stderr
