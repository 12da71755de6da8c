"""Retries, timeouts and typed errors, against the fake Moota's fault switches."""

import logging
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from mootaflow.mootaapi import (
    MootaAuthError,
    MootaClient,
    MootaResponseError,
    MootaUnavailable,
    MootaValidationError,
    RetryPolicy,
    parse_retry_after,
)
from tests.support.fakemoota import RunningFakeMoota
from tests.support.processes import free_port
from tests.support.servers import serve


async def test_429_then_500_then_200_is_retried_and_retry_after_is_honoured(
    fake_moota: RunningFakeMoota,
) -> None:
    fake = fake_moota.fake
    bank = fake.add_bank()
    fake.add_mutations(bank.bank_id, [10_000] * 3)
    fake.faults.fail_next(429, retry_after=1, path="/mutation")
    fake.faults.fail_next(500, path="/mutation")

    async with fake_moota.client() as client:
        started = time.monotonic()
        page = await client.list_mutations(bank_id=bank.bank_id)
        waited = time.monotonic() - started

    assert page.size == 3
    assert [r.status for r in fake.requests_to("/mutation")] == [429, 500, 200]
    # Retry-After: 1 was honoured (the client's own backoff is 0.05 s here).
    assert 1.0 <= waited < 3.0


async def test_retry_after_as_an_http_date(fake_moota: RunningFakeMoota) -> None:
    when = datetime.now(UTC) + timedelta(seconds=2)
    fake_moota.fake.faults.fail_next(503, retry_after=format_datetime(when, usegmt=True))
    async with fake_moota.client() as client:
        started = time.monotonic()
        await client.list_banks()
        waited = time.monotonic() - started
    # The date has whole seconds, so the wait is between 1 and 2 s.
    assert 0.9 <= waited < 3.0


def test_retry_after_parsing() -> None:
    now = datetime(2026, 11, 24, 3, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Tue, 24 Nov 2026 03:00:30 GMT", now) == 30.0
    assert parse_retry_after("Tue, 24 Nov 2026 02:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("", now) is None
    assert parse_retry_after(None, now) is None


async def test_a_retry_after_beyond_the_limit_ends_the_call_with_the_hint(
    fake_moota: RunningFakeMoota,
) -> None:
    """An activity can wait an hour; the client must not block that long itself."""
    fake_moota.fake.faults.fail_next(429, retry_after=3600)
    async with fake_moota.client() as client:
        started = time.monotonic()
        with pytest.raises(MootaUnavailable) as caught:
            await client.list_banks()
    assert time.monotonic() - started < 1
    assert (caught.value.status, caught.value.retry_after, caught.value.attempts) == (429, 3600, 1)


async def test_retries_are_bounded(fake_moota: RunningFakeMoota) -> None:
    fake_moota.fake.faults.outage(500)
    async with fake_moota.client() as client:
        with pytest.raises(MootaUnavailable) as caught:
            await client.list_banks()
    assert caught.value.attempts == 4
    assert caught.value.status == 500
    assert len(fake_moota.fake.requests_to("/bank")) == 4
    assert "Server Error" in str(caught.value)


async def test_401_raises_at_once_and_never_shows_the_token(
    fake_moota: RunningFakeMoota, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "wrong-token-c8e1f0a9d7b6"
    caplog.set_level(logging.DEBUG)
    async with MootaClient(secret, base_url=fake_moota.api_url) as client:
        with pytest.raises(MootaAuthError) as caught:
            await client.list_mutations()
        assert secret not in repr(client)

    assert caught.value.status == 401
    assert "Unauthenticated." in str(caught.value)
    assert len(fake_moota.fake.requests) == 1, "an auth error must not be retried"
    for text in (str(caught.value), repr(caught.value), caplog.text):
        assert secret not in text
    assert all(secret not in str(record.__dict__) for record in caplog.records)


async def test_a_401_from_the_fault_switch_and_403_are_auth_errors(
    fake_moota: RunningFakeMoota,
) -> None:
    fake_moota.fake.faults.fail_next(401)
    fake_moota.fake.faults.fail_next(403)
    async with fake_moota.client() as client:
        with pytest.raises(MootaAuthError):
            await client.list_banks()
        with pytest.raises(MootaAuthError) as caught:
            await client.list_banks()
        assert caught.value.status == 403
        assert await client.list_banks() == []


async def test_retry_logs_say_what_happened_without_the_token(
    fake_moota: RunningFakeMoota, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_moota.fake.faults.fail_next(502)
    async with fake_moota.client() as client:
        await client.list_banks()
    [record] = [r for r in caplog.records if r.name == "mootaflow.mootaapi"]
    assert record.levelno == logging.WARNING
    assert record.__dict__["problem"] == "HTTP 502" and record.__dict__["attempt"] == 1
    assert fake_moota.token not in caplog.text
    assert all(fake_moota.token not in str(r.__dict__) for r in caplog.records)


async def test_422_carries_the_field_errors(fake_moota: RunningFakeMoota) -> None:
    bank = fake_moota.fake.add_bank()
    async with fake_moota.client() as client:
        with pytest.raises(MootaValidationError) as caught:
            await client.create_dummy_mutation(bank.bank_id, amount=0)
        assert caught.value.status == 422
        assert caught.value.errors == {"amount": ["Kolom amount harus berupa angka lebih dari 0."]}
        assert "amount: Kolom amount" in str(caught.value)
        item = fake_moota.fake.add_mutation(bank.bank_id, 10_000)
        with pytest.raises(MootaValidationError) as caught:
            await client.attach_tags(item["mutation_id"], ["paid"], create_missing=False)
        assert caught.value.errors == {"name": ["Tag paid tidak ditemukan."]}
    assert len(fake_moota.fake.requests_to("/mutation/store")) == 1, "422 is not retried"


async def test_a_slow_reply_times_out_and_is_retried(fake_moota: RunningFakeMoota) -> None:
    fake_moota.fake.faults.slow_next(2.0)
    async with fake_moota.client(timeout=0.5) as client:
        started = time.monotonic()
        assert await client.list_banks() == []
        assert time.monotonic() - started < 1.9


async def test_creating_a_mutation_is_not_repeated_after_a_500(
    fake_moota: RunningFakeMoota,
) -> None:
    """A 500 may come after Moota stored it: repeating could make two mutations."""
    bank = fake_moota.fake.add_bank()
    fake_moota.fake.faults.fail_next(500, path="/mutation/store")
    async with fake_moota.client() as client:
        with pytest.raises(MootaUnavailable):
            await client.create_dummy_mutation(bank.bank_id, amount=10_000)
        fake_moota.fake.faults.fail_next(429, retry_after=0, path="/mutation/store")
        result = await client.create_dummy_mutation(bank.bank_id, amount=10_000)
    assert (result.total, result.new) == (1, 1)
    assert [r.status for r in fake_moota.fake.requests_to("/mutation/store")] == [500, 429, 200]


async def test_nothing_listening_is_unavailable_after_the_retries() -> None:
    retry = RetryPolicy(attempts=3, initial_delay=0.01, max_delay=0.02)
    url = f"http://127.0.0.1:{free_port()}/api/v2"
    async with MootaClient("some-token", base_url=url, retry=retry) as client:
        with pytest.raises(MootaUnavailable) as caught:
            await client.list_banks()
    assert caught.value.attempts == 3 and caught.value.status is None
    assert "ConnectError" in str(caught.value)
    assert "some-token" not in str(caught.value)


async def test_a_non_json_answer_is_a_response_error() -> None:
    """A captive portal or proxy page answering 200 in Moota's place."""
    portal = Starlette(routes=[Route("/api/v2/bank", lambda r: HTMLResponse("<html>login</html>"))])
    async with serve(portal) as url, MootaClient("t0ken", base_url=f"{url}/api/v2") as client:
        with pytest.raises(MootaResponseError) as caught:
            await client.list_banks()
    assert caught.value.status == 200 and "text/html" in str(caught.value)


def test_a_token_a_header_cannot_carry_is_refused_without_quoting_it() -> None:
    with pytest.raises(ValueError) as caught:
        MootaClient("abc\ndef-secret")
    assert "def-secret" not in str(caught.value)
    with pytest.raises(ValueError):
        MootaClient("  ")


async def test_a_shared_http_client_is_left_open(fake_moota: RunningFakeMoota) -> None:
    async with httpx.AsyncClient() as http:
        async with MootaClient(fake_moota.token, base_url=fake_moota.api_url, http=http) as c:
            await c.list_banks()
        assert not http.is_closed
