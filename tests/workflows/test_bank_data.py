"""Real bank data, webhook in and payment state out: BCA's date-only dates, Moota's
kode unik, late payers, money that arrived at another account, test mutations."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from mootaflow.domain.moota import JAKARTA
from mootaflow.domain.orders import NewOrder
from mootaflow.domain.settings import Settings
from mootaflow.store import orders
from mootaflow.store.databases import Databases
from mootaflow.store.db import Sessions
from mootaflow.temporal.worker import build_worker
from mootaflow.workflows import search_attributes as sa
from tests.support.flows import API, create_order, pay
from tests.support.moota import BCA_ACCOUNT, BCA_BANK_ID, jakarta_now, moota_item
from tests.support.servers import RunningReceiver, running_receiver
from tests.support.smtp import SmtpServer
from tests.workflows.conftest import FINANCE_EMAIL


def _jakarta(moment: datetime) -> str:
    return moment.astimezone(JAKARTA).strftime("%Y-%m-%d %H:%M:%S")


async def bca_order(receiver: RunningReceiver, **fields: Any) -> dict[str, Any]:
    return await create_order(
        receiver, account_number=BCA_ACCOUNT, bank_id=BCA_BANK_ID, amount=250000, **fields
    )


async def payment_of(receiver: RunningReceiver, mutation_id: str) -> dict[str, Any]:
    response = await receiver.http.get(f"/api/payments/{mutation_id}", headers=API)
    assert response.status_code == 200, response.text
    shown: dict[str, Any] = response.json()
    return shown


async def test_bca_date_only_transfer_a_minute_after_the_order_is_paid_by_amount(
    receiver: RunningReceiver, client: Client, worker: Worker, smtp: SmtpServer
) -> None:
    # The report: Rp 250.xyz paid a minute after the order, BCA says the day only.
    order = await bca_order(receiver, customer_email="budi@example.com")
    item = moota_item(amount=order["amount"], created_at=jakarta_now(timedelta(minutes=1)))
    assert item["date"].endswith(" 00:00:00")
    [state] = await pay(receiver, client, item)
    assert (state.status, state.order_ref) == ("paid", order["ref"])
    shown = await payment_of(receiver, item["mutation_id"])
    assert shown["date_only"] is True
    assert shown["seen_by_moota_at"] is not None
    # The customer is told the day the bank gave, not a midnight it did not.
    [email] = smtp.sink.to("budi@example.com")
    body = email.get_body(("plain",))
    assert body is not None
    assert f"on {item['date'][:10]} for order" in body.get_content()


async def test_bca_date_only_transfer_naming_the_order_is_paid_by_reference(
    receiver: RunningReceiver, client: Client, worker: Worker
) -> None:
    order = await bca_order(receiver)
    compact = order["ref"].replace("-", "")
    description = f"TRSF E-BANKING CR 2611/FTSCY/WS95031 {order['amount']}.00 {compact} RINA"
    item = moota_item(amount=order["amount"], description=description)
    [state] = await pay(receiver, client, item)
    assert (state.status, state.order_ref) == ("paid", order["ref"])


async def test_date_only_transfer_of_the_day_before_the_order_does_not_pay_it(
    receiver: RunningReceiver, client: Client, worker: Worker
) -> None:
    order = await bca_order(receiver)
    yesterday = datetime.now(JAKARTA) - timedelta(days=1)
    item = moota_item(
        amount=order["amount"],
        date=yesterday.strftime("%Y-%m-%d 00:00:00"),
        created_at=yesterday.strftime("%Y-%m-%d 23:50:00"),
    )
    [state] = await pay(receiver, client, item)
    assert (state.status, state.flag_reason) == ("awaiting_approval", "no_match")
    assert (await payment_of(receiver, item["mutation_id"]))["date_only"] is True


async def test_time_stamped_transfers_keep_the_exact_rule(
    receiver: RunningReceiver, client: Client, worker: Worker
) -> None:
    order = await create_order(receiver, amount=275000)
    before = datetime.now(UTC) - timedelta(minutes=10)
    too_early = moota_item(
        amount=order["amount"],
        account_number=order["account_number"],
        bank_type="bri",
        bank_id="bri01",
        created_at=_jakarta(before),
    )
    assert not too_early["date"].endswith(" 00:00:00")
    [early] = await pay(receiver, client, too_early)
    assert early.flag_reason == "no_match"
    in_time = moota_item(
        amount=order["amount"],
        account_number=order["account_number"],
        bank_type="bri",
        bank_id="bri01",
    )
    [paid] = await pay(receiver, client, in_time)
    assert (paid.status, paid.order_ref) == ("paid", order["ref"])
    assert (await payment_of(receiver, in_time["mutation_id"]))["date_only"] is False


async def test_kode_unik_ends_in_the_configured_moota_range(
    settings: Settings, client: Client, sessions: Sessions, databases: Databases
) -> None:
    moota_range = settings.model_copy(update={"unique_code_min": 300, "unique_code_max": 500})
    async with (
        running_receiver(moota_range) as receiver,
        httpx.AsyncClient() as http,
        build_worker(client, moota_range, databases, http),
    ):
        order = await create_order(receiver, amount=149500)
        assert 300 <= order["unique_code"] <= 500
        assert order["amount"] % 1000 == order["unique_code"]
        assert 149500 <= order["amount"] <= 150500
        [state] = await pay(
            receiver,
            client,
            moota_item(
                amount=order["amount"],
                bank_type="bni",
                account_number=order["account_number"],
                bank_id="bni01",
            ),
        )
    assert (state.status, state.order_ref) == ("paid", order["ref"])


async def test_late_payer_is_flagged_for_the_expired_order_never_paying_a_new_one(
    settings: Settings, client: Client, sessions: Sessions, smtp: SmtpServer, databases: Databases
) -> None:
    one_code = settings.model_copy(update={"unique_code_min": 123, "unique_code_max": 123})
    # An order that expired an hour ago; the customer pays its total now.
    async with sessions.begin() as session:
        expired, _ = await orders.create_order(
            session,
            NewOrder(account_number=BCA_ACCOUNT, amount=Decimal(250000), customer_email="l@x.id"),
            codes=orders.CodeRange(123, 123),
            default_expiry=timedelta(hours=1),
            now=datetime.now(UTC) - timedelta(hours=2),
        )
    async with (
        running_receiver(one_code) as receiver,
        httpx.AsyncClient() as http,
        build_worker(client, one_code, databases, http),
    ):
        # Its amount is held: a new order for the same base cannot take it.
        refused = await receiver.http.post(
            "/api/orders", json={"account_number": BCA_ACCOUNT, "amount": 250000}, headers=API
        )
        assert (refused.status_code, refused.json()["error"]) == (409, "no_unique_code_left")

        item = moota_item(amount=int(expired.amount), bank_type="mandiri", bank_id="mdr01")
        [state] = await pay(receiver, client, item)
    assert (state.status, state.flag_reason, state.candidates) == (
        "awaiting_approval",
        "expired_order",
        [expired.ref],
    )
    # Finance is told, and can book it to that order (the flagged one is the default).
    [notice] = smtp.sink.to(FINANCE_EMAIL)
    assert "expired_order" in str(notice["Subject"])
    assert state.order_ref == expired.ref


async def test_reference_to_an_order_of_another_account_is_flagged_wrong_account(
    receiver: RunningReceiver, client: Client, worker: Worker
) -> None:
    order = await create_order(receiver, account_number="7770001112", amount=99000)
    # The same amount is open on the receiving account: still never booked silently.
    here = await bca_order(receiver)
    item = moota_item(
        amount=here["amount"],
        description=f"TRSF E-BANKING CR 2611/FTSCY/WS95031 {order['ref']} RINA",
    )
    [state] = await pay(receiver, client, item)
    assert (state.status, state.flag_reason, state.candidates) == (
        "awaiting_approval",
        "wrong_account",
        [order["ref"]],
    )
    shown = await payment_of(receiver, item["mutation_id"])
    assert (shown["flag_reason"], shown["candidates"]) == ("wrong_account", [order["ref"]])


async def test_reference_to_an_order_on_another_moota_bank_is_flagged(
    receiver: RunningReceiver, client: Client, worker: Worker
) -> None:
    order = await bca_order(receiver)
    item = moota_item(
        amount=order["amount"], bank_id="another-bank", description=f"PAY {order['ref']}"
    )
    [state] = await pay(receiver, client, item)
    assert (state.status, state.flag_reason) == ("awaiting_approval", "wrong_account")


async def test_amount_match_never_crosses_accounts(
    receiver: RunningReceiver, client: Client, worker: Worker
) -> None:
    order = await bca_order(receiver)
    item = moota_item(amount=order["amount"], account_number="7770001112", bank_id="other")
    [state] = await pay(receiver, client, item)
    assert (state.status, state.flag_reason) == ("awaiting_approval", "no_match")


@pytest.mark.parametrize("test_account", [BCA_ACCOUNT, BCA_BANK_ID])
async def test_mutations_of_a_test_account_end_ignored_with_reason_test(
    settings: Settings,
    client: Client,
    sessions: Sessions,
    smtp: SmtpServer,
    test_account: str,
    databases: Databases,
) -> None:
    sandbox = settings.model_copy(update={"test_accounts": [test_account]})
    async with (
        running_receiver(sandbox) as receiver,
        httpx.AsyncClient() as http,
        build_worker(client, sandbox, databases, http),
    ):
        # Moota's dashboard "test webhook": a mutation of Rp 10.000.
        item = moota_item(amount=10000)
        [state] = await pay(receiver, client, item)
        shown = await payment_of(receiver, item["mutation_id"])
    assert (state.status, state.ignored_reason) == ("ignored", "test")
    assert (shown["status"], shown["ignored_reason"]) == ("ignored", "test")
    assert smtp.sink.to(FINANCE_EMAIL) == []  # nobody in finance is paged
    query = (
        f'FlagReason = "test" AND PaymentStatus = "ignored" '
        f'AND MootaMutationId = "{item["mutation_id"]}"'
    )
    async with asyncio.timeout(10):
        while not [w async for w in client.list_workflows(query)]:
            await asyncio.sleep(0.2)
    handle = client.get_workflow_handle(f"moota-mutation-{item['mutation_id']}")
    assert (await handle.describe()).typed_search_attributes.get(sa.FLAG_REASON) == "test"
