"""POST /api/orders/{ref}/check, the customer's "I have paid" button: Moota is asked to
crawl the account (once per 5 minutes), then the account is reconciled; a transfer
whose webhook was lost is paid. Against the fake Moota over HTTP, real Temporal."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from mootaflow.domain.settings import Settings
from tests.support.fakemoota import RunningFakeMoota, running_fake_moota
from tests.support.flows import API, create_order, pay, transfer
from tests.support.reconcile import with_moota
from tests.support.servers import RunningReceiver, running_receiver

ACCOUNT = "1234567890"
# A bank id of its own per test run: a check's run (`mootaflow-reconcile-check-<bank>`)
# outlives its test on the session's Temporal server.
BANK = f"bca{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def fake_moota() -> AsyncIterator[RunningFakeMoota]:
    async with running_fake_moota() as running:
        running.fake.add_bank(bank_id=BANK, account_number=ACCOUNT)
        yield running


@pytest.fixture
def settings(settings: Settings, fake_moota: RunningFakeMoota) -> Settings:
    return with_moota(settings, fake_moota)


async def check(receiver: RunningReceiver, ref: str, **headers: str) -> Any:
    return await receiver.http.post(f"/api/orders/{ref}/check", headers=headers or API)


async def wait_order(receiver: RunningReceiver, ref: str, status: str) -> dict[str, Any]:
    async with asyncio.timeout(60):
        while True:
            order: dict[str, Any] = (
                await receiver.http.get(f"/api/orders/{ref}", headers=API)
            ).json()
            if order["status"] == status:
                return order
            await asyncio.sleep(0.2)


async def test_a_check_finds_a_transfer_whose_webhook_was_lost(
    receiver: RunningReceiver, worker: Worker, fake_moota: RunningFakeMoota
) -> None:
    fake = fake_moota.fake
    fake.webhooks.url = receiver.webhook_url
    fake.webhooks.drop_share = 1.0  # every webhook lost on the way
    order = await create_order(receiver, account_number=ACCOUNT)
    # The customer paid; Moota has not crawled the account yet.
    fake.add_mutation(BANK, order["amount"], crawled=False)

    response = await check(receiver, order["ref"])
    assert response.status_code == 202, response.text
    answer = response.json()
    assert (answer["refresh"], answer["bank_id"], answer["account_number"]) == (
        "requested",
        BANK,  # found by its account number: the order named no bank id
        ACCOUNT,
    )
    assert answer["reconcile"] == {
        "workflow_id": f"mootaflow-reconcile-check-{BANK}",
        "started": True,
    }
    assert fake.refresh_calls(BANK) == 1

    paid = await wait_order(receiver, order["ref"], "paid")
    payment = await receiver.http.get(
        f"/api/payments/{paid['payment']['mutation_id']}", headers=API
    )
    assert payment.json()["source"] == "reconcile"
    assert paid["payment"]["source"] == "reconcile"

    # The same account again within 5 minutes: 429, and Moota is not asked.
    other = await create_order(receiver, account_number=ACCOUNT)
    again = await check(receiver, other["ref"])
    assert again.status_code == 429
    assert again.json()["error"] == "too_soon"
    assert 290 <= int(again.headers["Retry-After"]) <= 300
    assert fake.refresh_calls(BANK) == 1


async def test_check_refusals(
    receiver: RunningReceiver,
    worker: Worker,
    client: Client,
    settings: Settings,
    fake_moota: RunningFakeMoota,
) -> None:
    assert (await check(receiver, "MF-0000-0000")).status_code == 404
    assert (await check(receiver, "MF-0000-0000", Authorization="Bearer nope")).status_code == 401

    order = await create_order(receiver, account_number=ACCOUNT)
    await pay(receiver, client, transfer(order))
    paid = await check(receiver, order["ref"])
    assert paid.status_code == 409 and paid.json()["error"] == "order_not_open"

    elsewhere = await create_order(receiver, account_number="5550001111")
    unknown = await check(receiver, elsewhere["ref"])
    assert unknown.status_code == 422 and unknown.json()["error"] == "no_moota_account"

    # Moota fails the refresh: 503, and the throttle slot is given back.
    open_order = await create_order(receiver, account_number=ACCOUNT, bank_id=BANK)
    fake_moota.fake.faults.fail_next(503, retry_after=30, path="/refresh")
    down = await check(receiver, open_order["ref"])
    assert down.status_code == 503 and down.json()["error"] == "moota_unavailable"
    assert down.headers["Retry-After"] == "30"
    assert (await check(receiver, open_order["ref"])).status_code == 202

    assert fake_moota.fake.refresh_calls() == 1
    assert "Traceback" not in down.text


async def test_a_refused_token_and_no_token(
    settings: Settings, fake_moota: RunningFakeMoota
) -> None:
    async with running_receiver(settings) as receiver:
        order = await create_order(receiver, account_number=ACCOUNT, bank_id=BANK)
        fake_moota.fake.tokens = {"another-token"}
        refused = await check(receiver, order["ref"])
        assert refused.status_code == 502 and refused.json()["error"] == "moota_refused"
        assert fake_moota.token not in refused.text
    off = settings.model_copy(update={"moota_api_token": None})
    async with running_receiver(off) as receiver:
        order = await create_order(receiver, account_number=ACCOUNT)
        answer = await check(receiver, order["ref"])
        assert answer.status_code == 503
        assert "MOOTAFLOW_MOOTA_API_TOKEN" in answer.json()["detail"]
