"""The fake's webhook pushes: signed like Moota's, filtered, re-sent, and dropped on demand."""

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from mootaflow.domain.moota import load_delivery, parse_delivery
from mootaflow.domain.signature import verify
from tests.conftest import TEST_SECRET
from tests.support.callbacks import Merchant, running_merchant
from tests.support.fakemoota import RunningFakeMoota
from tests.support.processes import free_port


@pytest.fixture
async def hook(fake_moota: RunningFakeMoota) -> AsyncIterator[Merchant]:
    """A recording HTTP endpoint on loopback, set as the fake's webhook URL."""
    async with running_merchant() as recorder:
        fake_moota.fake.webhooks.url = recorder.url
        yield recorder


async def test_a_push_is_signed_and_shaped_like_moota_s(
    fake_moota: RunningFakeMoota, hook: Merchant
) -> None:
    fake = fake_moota.fake
    bank = fake.add_bank(bank_type="bca", account_number="0061234567")
    item = fake.add_mutation(bank.bank_id, 150_123, push=True)
    await fake.webhooks.settle()

    [received] = hook.received
    assert verify(received.body, received.headers["signature"], [TEST_SECRET])
    assert received.headers["user-agent"] == "MootaBot/1.5"
    assert received.headers["content-type"] == "application/json"
    assert received.headers["x-moota-user"] and received.headers["x-moota-webhook"]
    # Compact, "/" escaped as PHP does (the statement line has slashes), an array.
    assert b"\\/FTSCY\\/" in received.body and b'":' in received.body
    assert b": " not in received.body
    [pushed] = json.loads(received.body)
    assert pushed == item
    assert list(pushed)[:5] == ["account_number", "date", "description", "note", "amount"]
    parsed = parse_delivery(load_delivery(received.body))
    assert [a.mutation.mutation_id for a in parsed.accepted] == [item["mutation_id"]]


async def test_a_share_of_deliveries_is_dropped_reproducibly(
    fake_moota: RunningFakeMoota, hook: Merchant
) -> None:
    fake = fake_moota.fake
    fake.webhooks.drop_share = 0.3
    fake.webhooks.seed(42)
    bank = fake.add_bank()
    items = fake.add_mutations(bank.bank_id, [10_000 + n for n in range(200)], push=True)
    await fake.webhooks.settle()

    dropped = [m for d in fake.webhooks.dropped for m in d.mutation_ids]
    received = [m["mutation_id"] for r in hook.received for m in json.loads(r.body)]
    assert 40 <= len(dropped) <= 80, len(dropped)
    assert sorted(dropped + received) == sorted(m["mutation_id"] for m in items)
    assert not set(dropped) & set(received)
    # The API still lists every one of them: that is what reconciliation relies on.
    assert len(fake.mutations) == 200

    # Same seed, same dice: a test that fails can be replayed.
    fake.webhooks.seed(42)
    again = fake.add_mutations(bank.bank_id, [1] * 200, push=True)
    await fake.webhooks.settle()
    pattern = [d.dropped for d in fake.webhooks.deliveries]
    assert pattern[:200] == pattern[200:] and len(again) == 200


async def test_moota_s_filters_unique_code_and_kind(
    fake_moota: RunningFakeMoota, hook: Merchant
) -> None:
    fake = fake_moota.fake
    fake.webhooks.start_unique_code, fake.webhooks.end_unique_code = 300, 500
    fake.webhooks.kinds = frozenset({"CR"})
    bank = fake.add_bank()
    passing = [fake.add_mutation(bank.bank_id, a, push=True) for a in (18_300, 25_499)]
    fake.add_mutation(bank.bank_id, 150_900, push=True)
    fake.add_mutation(bank.bank_id, 18_400, mutation_type="DB", push=True)
    await fake.webhooks.settle()
    got = [m["mutation_id"] for r in hook.received for m in json.loads(r.body)]
    assert got == [m["mutation_id"] for m in passing]


async def test_a_failed_delivery_is_sent_again(
    fake_moota: RunningFakeMoota, hook: Merchant
) -> None:
    hook.answers = [500, 503]
    fake = fake_moota.fake
    fake.add_mutation(fake.add_bank().bank_id, 10_000, push=True)
    await fake.webhooks.settle()
    [delivery] = fake.webhooks.deliveries
    assert [a.status for a in delivery.attempts] == [500, 503, 200] and delivery.delivered
    assert len({r.body for r in hook.received}) == 1, "every attempt sends the same bytes"


async def test_an_unreachable_webhook_is_given_up_after_the_attempts(
    fake_moota: RunningFakeMoota,
) -> None:
    fake = fake_moota.fake
    fake.webhooks.url = f"http://127.0.0.1:{free_port()}/webhooks/moota"
    fake.add_mutation(fake.add_bank().bank_id, 10_000, push=True)
    await fake.webhooks.settle()
    [delivery] = fake.webhooks.deliveries
    assert len(delivery.attempts) == 3 and not delivery.delivered
    assert all(a.status is None and "ConnectError" in a.error for a in delivery.attempts)


async def test_a_crawl_pushes_what_it_found_as_one_delivery(
    fake_moota: RunningFakeMoota, hook: Merchant
) -> None:
    fake = fake_moota.fake
    bank = fake.add_bank()
    waiting = [fake.add_mutation(bank.bank_id, a, crawled=False) for a in (10_001, 10_002)]
    assert fake.mutations == [] and not fake.webhooks.deliveries
    async with httpx.AsyncClient(base_url=fake_moota.api_url) as http:
        auth = {"Authorization": f"Bearer {fake_moota.token}"}
        refreshed = await http.post(f"/bank/{bank.bank_id}/refresh", headers=auth)
        assert refreshed.status_code == 200
        await fake.webhooks.settle()
        [received] = hook.received
        assert [m["mutation_id"] for m in json.loads(received.body)] == [
            m["mutation_id"] for m in waiting
        ]
        # Ask Moota to send one of them again.
        again = await http.post(f"/mutation/{waiting[0]['mutation_id']}/webhook", headers=auth)
        assert again.json() == {"status": "OK"}
    await fake.webhooks.settle()
    assert len(hook.received) == 2
    assert fake.refresh_calls(bank.bank_id) == 1
