"""The `mootaflow` command as a user runs it: clear messages, exit codes, no tracebacks."""

import argparse
import asyncio
import gc
import json
import os
from collections.abc import Callable, Coroutine
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import uvloop
from sqlalchemy import select

from mootaflow.cli import main as cli
from mootaflow.domain.settings import Settings
from mootaflow.store.db import Sessions
from mootaflow.store.tables import InboxMutation
from tests.conftest import TEST_SECRET
from tests.support.processes import MOOTAFLOW, clean_env, free_port, run_mootaflow
from tests.support.servers import running_receiver


async def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = await run_mootaflow("--help", cwd=tmp_path)
    assert result.code == 0
    for command in ("dev", "receiver", "worker", "simulate"):
        assert command in result.stdout


async def test_bad_arguments_are_refused_with_a_message(tmp_path: Path) -> None:
    result = await run_mootaflow("simulate", "--amount", "lots", cwd=tmp_path)
    assert result.code == 2
    assert "amount 'lots' is not a decimal number" in result.stderr
    assert "Traceback" not in result.stderr
    result = await run_mootaflow("simulate", "--count", "0", cwd=tmp_path)
    assert result.code == 2
    assert "count must be a whole number from 1 to 1000" in result.stderr
    result = await run_mootaflow("dev", "--workers", "9", cwd=tmp_path)
    assert result.code == 2
    assert "workers must be a whole number from 1 to 8: '9'" in result.stderr


async def test_garbage_settings_stop_start_up_with_the_variable_named(tmp_path: Path) -> None:
    env = clean_env(MOOTAFLOW_RECEIVER_PORT="eighty", MOOTAFLOW_ALLOWED_IPS="nope")
    result = await run_mootaflow("worker", env=env, cwd=tmp_path)
    assert result.code == 2
    assert "MOOTAFLOW_RECEIVER_PORT" in result.stderr
    assert "'nope' is not an IP address or CIDR network" in result.stderr
    assert "Traceback" not in result.stderr


async def test_settings_are_read_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MOOTAFLOW_LOG_LEVEL=shouting\n")
    result = await run_mootaflow("worker", cwd=tmp_path)
    assert result.code == 2
    assert "MOOTAFLOW_LOG_LEVEL" in result.stderr


async def test_receiver_refuses_to_start_without_a_webhook_secret(tmp_path: Path) -> None:
    result = await run_mootaflow("receiver", cwd=tmp_path)
    assert result.code == 2
    assert "MOOTAFLOW_WEBHOOK_SECRETS is not set" in result.stderr
    env = clean_env(MOOTAFLOW_WEBHOOK_SECRETS="mootaflow-dev-secret")
    result = await run_mootaflow("receiver", env=env, cwd=tmp_path)
    assert result.code == 2
    assert "public dev secret" in result.stderr
    env = clean_env(MOOTAFLOW_WEBHOOK_SECRETS="a-real-secret")
    result = await run_mootaflow("receiver", env=env, cwd=tmp_path)
    assert result.code == 2
    assert "MOOTAFLOW_FINANCE_TOKENS is not set" in result.stderr


async def test_simulate_posts_a_signed_delivery(
    settings: Settings, inbox_sessions: Sessions, tmp_path: Path
) -> None:
    async with running_receiver(settings) as receiver:
        result = await run_mootaflow(
            "simulate",
            "--url",
            receiver.webhook_url,
            "--secret",
            TEST_SECRET,
            "--amount",
            "150123",
            "--account",
            "777888999",
            "--count",
            "3",
            cwd=tmp_path,
        )
    assert result.code == 0, result.stderr
    reply_line = result.stdout.splitlines()[1]
    assert json.loads(reply_line) == {"received": 3, "duplicates": 0, "quarantined": 0}
    async with inbox_sessions.begin() as session:
        rows = list((await session.execute(select(InboxMutation))).scalars())
    assert len(rows) == 3
    assert {(row.account_number, row.amount, row.type) for row in rows} == {
        ("777888999", Decimal(150123), "CR")
    }
    for row in rows:
        assert row.workflow_id in result.stdout


async def test_simulate_with_the_wrong_secret_shows_the_refusal(
    settings: Settings, tmp_path: Path
) -> None:
    async with running_receiver(settings) as receiver:
        result = await run_mootaflow(
            "simulate", "--url", receiver.webhook_url, "--secret", "wrong", cwd=tmp_path
        )
    assert result.code == 1
    assert "401" in result.stdout
    assert "bad_signature" in result.stdout


async def test_simulate_against_nothing_says_so(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/webhooks/moota"
    result = await run_mootaflow("simulate", "--url", url, cwd=tmp_path)
    assert result.code == 1
    assert f"error: could not post to {url}" in result.stderr
    assert "Traceback" not in result.stderr


async def test_orders_create_and_show(tmp_path: Path) -> None:
    env = clean_env(MOOTAFLOW_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    created = await run_mootaflow(
        "orders", "create", "--account", "1234567890", "--amount", "150000",
        "--ref", "SO-9", "--email", "a@b.id", env=env, cwd=tmp_path,
    )  # fmt: skip
    assert created.code == 0, created.stderr
    assert created.stdout.startswith("Order MF-")
    assert "PAY EXACTLY   Rp 150." in created.stdout
    shown = await run_mootaflow("orders", "show", "SO-9", "--json", env=env, cwd=tmp_path)
    order = json.loads(shown.stdout)
    assert (order["merchant_ref"], order["status"], order["customer_email"]) == (
        "SO-9",
        "open",
        "a@b.id",
    )
    missing = await run_mootaflow("orders", "show", "MF-NOPE-NOPE", env=env, cwd=tmp_path)
    assert (missing.code, missing.stderr.strip()) == (1, "error: no order MF-NOPE-NOPE")


async def test_orders_create_refuses_bad_input_by_field(tmp_path: Path) -> None:
    env = clean_env(MOOTAFLOW_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    bad = await run_mootaflow(
        "orders", "create", "--account", "1", "--amount", "150000", "--email", "nope",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert bad.code == 2
    assert "error: account_number: must be 3-64 letters" in bad.stderr
    assert "error: customer_email: is not an email address" in bad.stderr
    assert "Traceback" not in bad.stderr


async def test_a_reader_that_goes_away_gets_no_traceback(tmp_path: Path) -> None:
    # As in `mootaflow orders show REF | head -1`: the pipe closes before output is written.
    read, write = os.pipe()
    os.close(read)
    env = clean_env(MOOTAFLOW_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    process = await asyncio.create_subprocess_exec(
        *MOOTAFLOW, "orders", "create", "--account", "123456", "--amount", "5000",
        stdout=write, stderr=asyncio.subprocess.PIPE, env=env, cwd=tmp_path,
    )  # fmt: skip
    os.close(write)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert "Traceback" not in stderr.decode()


def test_the_receiver_and_the_worker_freeze_what_start_up_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What each process would serve with: the collector's permanent generation by then.
    frozen: dict[str, int] = {}

    def serve(app: object, **options: object) -> None:
        frozen["receiver"] = gc.get_freeze_count()

    def run(work: Coroutine[Any, Any, None]) -> None:
        work.close()
        frozen["worker"] = gc.get_freeze_count()

    monkeypatch.setattr(uvicorn, "run", serve)
    monkeypatch.setattr(uvloop, "run", run)
    settings = Settings(env="dev")
    try:
        no_options = argparse.Namespace(host=None, port=None)
        starts: dict[str, Callable[[], int]] = {
            "receiver": lambda: cli._receiver(no_options, settings),
            "worker": lambda: cli._worker(settings),
        }
        for name, start in starts.items():
            gc.unfreeze()
            assert start() == 0
            # Frozen before serving: full collections no longer walk start-up's objects.
            assert frozen[name] > 10_000, frozen
    finally:
        gc.unfreeze()
