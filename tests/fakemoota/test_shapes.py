"""The fake answers in Moota's exact shapes: compared with the published sample page."""

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from mootaflow.domain.moota import JAKARTA, parse_mutation
from mootaflow.fakemoota import FakeMoota, laravel_page, php_json
from tests.support.fakemoota import RunningFakeMoota

SAMPLE = Path(__file__).parents[1] / "fixtures" / "moota-api" / "mutation-list-page1.json"
MONEY = re.compile(r"\d+\.\d\d")
STAMP = "%Y-%m-%d %H:%M:%S"


@pytest.fixture
def sample() -> dict[str, Any]:
    page: dict[str, Any] = json.loads(SAMPLE.read_bytes())
    return page


async def get_page(running: RunningFakeMoota, **params: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=running.api_url) as http:
        return await http.get(
            "/mutation",
            params=params,
            headers={"Authorization": f"Bearer {running.token}", "Accept": "application/json"},
        )


async def test_a_page_has_the_sample_page_fields_in_order(
    fake_moota: RunningFakeMoota, sample: dict[str, Any]
) -> None:
    fake = fake_moota.fake
    bank = fake.add_bank(bank_type="bca", account_number="0061234567")
    fake.add_mutations(bank.bank_id, [150_123, 10_000, 25_499])
    fake.add_mutation(bank.bank_id, 10_000, mutation_type="DB", description="BIAYA ADM")

    response = await get_page(fake_moota, per_page=2)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    page = response.json()

    assert list(page) == list(sample)
    assert [list(item) for item in page["data"]] == [list(sample["data"][0])] * 2
    assert set(page["data"][0]["bank"]) == set(sample["data"][0]["bank"])
    # The URLs are Laravel's: only ?page=N, and "/" escaped as PHP does.
    assert page["next_page_url"] == f"{fake_moota.api_url}/mutation?page=2"
    assert (page["last_page"], page["per_page"], page["total"], page["from"], page["to"]) == (
        2,
        2,
        4,
        1,
        2,
    )
    assert b'"path":"http:\\/\\/127.0.0.1' in response.content
    assert b": " not in response.content and b", " not in response.content


async def test_items_are_moota_shaped_and_parse_like_webhook_items(
    fake_moota: RunningFakeMoota, sample: dict[str, Any]
) -> None:
    fake = fake_moota.fake
    bca = fake.add_bank(bank_type="bca", label="BCA")
    bri = fake.add_bank(bank_type="bri", label="BRI")
    at = datetime.now(JAKARTA).replace(microsecond=0) - timedelta(hours=2, minutes=7)
    fake.add_mutation(bca.bank_id, 150_123, when=at)
    fake.add_mutation(bri.bank_id, "250000.5", when=at)
    items = {item["bank_id"]: item for item in (await get_page(fake_moota)).json()["data"]}

    for item in items.values():
        for name in ("amount", "balance"):
            assert MONEY.fullmatch(item[name]), item[name]
        assert item["mutation_id"] == item["token"]
        assert item["taggings"] == []
        assert item["bank"]["bank_id"] == item["bank_id"]
        datetime.strptime(item["created_at"], STAMP)
        mutation = parse_mutation(item)
        assert str(mutation.amount) in (item["amount"], item["amount"].removesuffix(".00"))
        assert mutation.mutation_id == item["mutation_id"]
        assert not mutation.id_derived

    # BCA reports the day only; Moota's created_at says when it saw the transfer.
    assert items[bca.bank_id]["date"] == at.strftime("%Y-%m-%d 00:00:00")
    assert items[bri.bank_id]["date"] == at.strftime(STAMP)
    assert items[bri.bank_id]["amount"] == "250000.50"
    assert items[bca.bank_id]["amount"] == "150123.00"
    assert items[bca.bank_id]["balance"] == "150123.00"
    assert abs(
        datetime.strptime(items[bca.bank_id]["created_at"], STAMP) - at.replace(tzinfo=None)
    ) > timedelta(hours=2)
    # The sample's own items parse too (the fake's are held to the same parser).
    for item in sample["data"]:
        parse_mutation(item)


def test_the_page_builder_matches_the_sample_byte_for_byte(sample: dict[str, Any]) -> None:
    """Given the sample's items, the fake writes the sample's exact bytes."""
    items = sample["data"] + [{"third": "item"}]
    built = laravel_page(items, page=1, per_page=2, path="https://app.moota.co/api/v2/mutation")
    assert php_json(built) + b"\n" == SAMPLE.read_bytes()


async def test_without_a_valid_token_the_api_answers_401(fake_moota: RunningFakeMoota) -> None:
    async with httpx.AsyncClient(base_url=fake_moota.api_url) as http:
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
            response = await http.get("/mutation", headers=headers)
            assert response.status_code == 401
            assert response.json() == {"error": "Unauthenticated."}
    assert [r.status for r in fake_moota.fake.requests] == [401, 401, 401]


async def test_validation_errors_are_laravel_422s(fake_moota: RunningFakeMoota) -> None:
    bank = fake_moota.fake.add_bank()
    for params, field in (
        ({"start_date": "24-11-2026"}, "start_date"),
        ({"start_date": "2026-11-24", "end_date": "2026-11-01"}, "end_date"),
        ({"type": "XX"}, "type"),
        ({"per_page": "0"}, "per_page"),
        ({"page": "two"}, "page"),
    ):
        response = await get_page(fake_moota, bank=bank.bank_id, **params)
        assert response.status_code == 422, params
        body = response.json()
        assert body["message"] == "The given data was invalid."
        assert list(body["errors"]) == [field]


def test_ids_and_drops_are_reproducible_with_a_seed() -> None:
    def ids(seed: int) -> list[str]:
        fake = FakeMoota.create(seed=seed)
        bank = fake.add_bank()
        return [bank.bank_id] + [
            m["mutation_id"] for m in fake.add_mutations(bank.bank_id, [1] * 5)
        ]

    assert ids(7) == ids(7) != ids(8)
    assert all(re.fullmatch(r"[A-Za-z0-9]{11}", i) for i in ids(7))
