"""Money that does not fit one order, end to end on the real dev server: the webhook,
the finance API, the workflow's Update, the ledger, invoices, refunds, callbacks."""

import asyncio
import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from mootaflow.domain.decisions import DecisionOutcome
from mootaflow.domain.money import format_rupiah
from mootaflow.domain.settings import Settings
from mootaflow.store import allocations, invoices, orders
from mootaflow.store.databases import Databases
from mootaflow.store.db import Sessions, reading
from mootaflow.store.tables import Allocation, Order
from mootaflow.temporal.worker import build_worker
from mootaflow.workflows.payment import PaymentWorkflow
from tests.support.callbacks import Merchant
from tests.support.flows import create_order, pay, transfer
from tests.support.moota import mutation, php_body_of, post_signed
from tests.support.servers import RunningReceiver
from tests.support.smtp import SmtpServer
from tests.support.temporal import settled, wait_for_workflow

SARI = {"Authorization": "Bearer sari-finance-token"}
BUDI = {"Authorization": "Bearer budi-finance-token"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"finance_tokens": ["Sari:sari-finance-token", "Budi:budi-finance-token"]}
    )


@asynccontextmanager
async def running_worker(
    client: Client, settings: Settings, databases: Databases
) -> AsyncIterator[None]:
    async with httpx.AsyncClient() as http, build_worker(client, settings, databases, http):
        yield


async def flagged(receiver: RunningReceiver, client: Client, **fields: Any) -> str:
    item = mutation(**fields)
    sent = await post_signed(receiver.http, php_body_of(item))
    assert sent.status_code == 200, sent.text
    workflow_id = f"moota-mutation-{item['mutation_id']}"
    # Acknowledged first, started a moment later (persist, then ack, then start).
    await wait_for_workflow(client, workflow_id)
    handle = client.get_workflow_handle(workflow_id)
    async with asyncio.timeout(30):
        while (await handle.query(PaymentWorkflow.status)).status != "awaiting_approval":
            await asyncio.sleep(0.1)
    mutation_id: str = item["mutation_id"]
    return mutation_id


async def approve(
    receiver: RunningReceiver, mutation_id: str, who: dict[str, str] = SARI, **body: Any
) -> httpx.Response:
    return await receiver.http.post(f"/api/payments/{mutation_id}/approve", json=body, headers=who)


async def order_row(sessions: Sessions, ref: str) -> Order:
    async with reading(sessions) as session:
        order = await session.run_sync(orders.get_order, ref)
    assert order is not None
    return order


async def ledger(sessions: Sessions, mutation_id: str) -> list[tuple[str, str, Decimal, str]]:
    async with reading(sessions) as session:
        rows: list[Allocation] = await session.run_sync(allocations.allocations_of, mutation_id)
    return [(r.kind, r.order_ref, r.amount, r.decided_by) for r in rows]


def events(merchant: Merchant) -> list[tuple[str, dict[str, Any]]]:
    return [(r.headers["x-mootaflow-event"], json.loads(r.body)) for r in merchant.received]


async def test_a_shortfall_needs_a_choice_then_accept_writes_it_off_with_who(
    receiver: RunningReceiver,
    client: Client,
    settings: Settings,
    sessions: Sessions,
    databases: Databases,
) -> None:
    async with running_worker(client, settings, databases):
        order = await create_order(receiver, amount=150000)
        total = Decimal(order["amount"])
        mutation_id = await flagged(
            receiver, client, account_number="1234567890", amount=99999, note=order["ref"]
        )
        unsure = await approve(receiver, mutation_id, note="short")
        assert unsure.status_code == 422, unsure.text
        assert unsure.json()["error"] == "does_not_add_up"
        gap = total - 99999
        assert f"Rp {gap:,}".replace(",", ".") in unsure.json()["detail"]
        assert "accept or partial" in unsure.json()["detail"]

        done = await approve(receiver, mutation_id, note="loyal customer", difference="accept")
        assert done.status_code == 200, done.text
        assert done.json()["invoice_number"]
        state = await settled(client, f"moota-mutation-{mutation_id}")
    assert state.status == "paid" and state.decision is not None
    assert state.decision.difference == "accept"
    assert (await order_row(sessions, order["ref"])).status == "paid"
    assert await ledger(sessions, mutation_id) == [
        ("order", order["ref"], Decimal(99999), "Sari"),
        ("write_off", order["ref"], gap, "Sari"),
    ]


@pytest.mark.parametrize("by_reference", [True, False], ids=["by-reference", "by-exact-rest"])
async def test_partial_then_completed_by_a_second_transfer(
    receiver: RunningReceiver,
    client: Client,
    settings: Settings,
    sessions: Sessions,
    databases: Databases,
    smtp: SmtpServer,
    merchant: Merchant,
    by_reference: bool,
) -> None:
    async with running_worker(client, settings, databases):
        order = await create_order(receiver, amount=150000, customer_email="c@x.id")
        first = await flagged(
            receiver, client, account_number="1234567890", amount=100000, note=order["ref"]
        )
        answer = await approve(receiver, first, difference="partial", note="pays in two")
        assert answer.status_code == 200, answer.text
        assert answer.json()["invoice_number"] is None
        assert "still owes" in answer.json()["detail"]
        await settled(client, f"moota-mutation-{first}")
        partial = await order_row(sessions, order["ref"])
        rest = Decimal(order["amount"]) - 100000
        assert (partial.status, partial.amount_due) == ("partially_paid", rest)
        [told] = smtp.sink.to("c@x.id")
        assert "still due" in str(told["Subject"])
        assert [e for e, _ in events(merchant)] == ["order.partially_paid"]
        assert events(merchant)[0][1]["order"]["amount_due"] == str(rest)

        note = order["ref"] if by_reference else "transfer"
        [second] = await pay(
            receiver, client, transfer(order, amount=int(rest), note=note, description="x")
        )
    assert second.status == "paid" and second.decision is None
    assert second.invoice_number is not None
    paid = await order_row(sessions, order["ref"])
    assert (paid.status, paid.amount_due, paid.paid_by_mutation_id) == (
        "paid",
        Decimal(0),
        second.mutation_id,
    )
    async with reading(sessions) as session:
        to_order = await session.run_sync(allocations.allocations_to, order["ref"])
        invoice = await session.run_sync(invoices.invoice_for_order, order["ref"])
    assert [(a.mutation_id, a.amount) for a in to_order] == [
        (first, Decimal(100000)),
        (second.mutation_id, rest),
    ]
    assert invoice is not None and invoice.number == second.invoice_number
    assert invoice.pdf is not None
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(invoice.pdf)).pages)
    # The invoice lists every transfer that paid the order, and the whole total.
    assert "Paid by these transfers" in text
    assert first in text and second.mutation_id in text
    assert format_rupiah(Decimal(order["amount"])) in text
    assert [e for e, _ in events(merchant)] == ["order.partially_paid", "order.paid"]


@pytest.mark.parametrize("difference", ["accept", "refund"])
async def test_a_surplus_is_kept_or_owed_back(
    receiver: RunningReceiver,
    client: Client,
    settings: Settings,
    sessions: Sessions,
    databases: Databases,
    merchant: Merchant,
    difference: str,
) -> None:
    async with running_worker(client, settings, databases):
        order = await create_order(receiver, amount=150000)
        paid_in = int(order["amount"]) + 50000
        mutation_id = await flagged(
            receiver, client, account_number="1234567890", amount=paid_in, note=order["ref"]
        )
        unsure = await approve(receiver, mutation_id)
        assert (unsure.status_code, unsure.json()["error"]) == (422, "does_not_add_up")
        assert "accept or refund" in unsure.json()["detail"]
        done = await approve(receiver, mutation_id, difference=difference, note="typo")
        assert done.status_code == 200, done.text
        await settled(client, f"moota-mutation-{mutation_id}")
        refunds = await receiver.http.get("/api/refunds?status=due", headers=SARI)
    assert refunds.status_code == 200, refunds.text
    kind = "surplus" if difference == "accept" else "refund"
    assert await ledger(sessions, mutation_id) == [
        ("order", order["ref"], Decimal(order["amount"]), "Sari"),
        (kind, order["ref"], Decimal(50000), "Sari"),
    ]
    due = [r for r in refunds.json()["refunds"] if r["mutation_id"] == mutation_id]
    sent = [e for e, _ in events(merchant)]
    if difference == "accept":
        assert due == [] and sent == ["order.paid"]
        return
    assert sent == ["order.paid", "refund.due"]
    [refund] = due
    assert (refund["amount"], refund["order_ref"], refund["decided_by"]) == (
        "50000",
        order["ref"],
        "Sari",
    )
    marked = await receiver.http.post(
        f"/api/refunds/{refund['id']}/paid", json={"reference": "BCA 123"}, headers=BUDI
    )
    assert marked.status_code == 200, marked.text
    assert (marked.json()["status"], marked.json()["paid_by"]) == ("paid", "Budi")
    again = await receiver.http.post(
        f"/api/refunds/{refund['id']}/paid", json={"reference": "other"}, headers=SARI
    )
    assert again.status_code == 409 and "Budi" in again.json()["detail"]
    left = await receiver.http.get("/api/refunds?status=due", headers=SARI)
    assert all(r["id"] != refund["id"] for r in left.json()["refunds"])


async def test_one_transfer_for_three_orders(
    receiver: RunningReceiver,
    client: Client,
    settings: Settings,
    sessions: Sessions,
    databases: Databases,
) -> None:
    async with running_worker(client, settings, databases):
        made = [await create_order(receiver, amount=a) for a in (100000, 200000, 300000)]
        owed = [Decimal(o["amount"]) for o in made]
        paid_in = int(sum(owed)) + 1000
        mutation_id = await flagged(receiver, client, account_number="1234567890", amount=paid_in)
        lines = [{"order_ref": o["ref"]} for o in made]
        done = await approve(
            receiver, mutation_id, allocations=lines, difference="refund", note="three at once"
        )
        assert done.status_code == 200, done.text
        state = await settled(client, f"moota-mutation-{mutation_id}")
    assert len(state.invoice_numbers) == 3
    assert sorted(await ledger(sessions, mutation_id)) == sorted(
        [("order", o["ref"], amount, "Sari") for o, amount in zip(made, owed, strict=True)]
        + [("refund", made[0]["ref"], Decimal(1000), "Sari")]
    )
    for o in made:
        assert (await order_row(sessions, o["ref"])).status == "paid"


async def test_a_decision_that_does_not_add_up_is_refused_with_the_numbers(
    receiver: RunningReceiver,
    client: Client,
    settings: Settings,
    sessions: Sessions,
    databases: Databases,
) -> None:
    async with running_worker(client, settings, databases):
        a, b = await create_order(receiver), await create_order(receiver, amount=90000)
        mutation_id = await flagged(receiver, client, account_number="1234567890", amount=100000)
        too_much = [
            {"order_ref": a["ref"], "amount": 60000},
            {"order_ref": b["ref"], "amount": 50000},
        ]
        api = await approve(receiver, mutation_id, allocations=too_much)
        assert (api.status_code, api.json()["error"]) == (422, "does_not_add_up")
        assert "Rp 110.000" in api.json()["detail"] and "Rp 100.000" in api.json()["detail"]
        # The workflow's own validator, for whoever sends the Update directly.
        handle = client.get_workflow_handle(f"moota-mutation-{mutation_id}")
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                "approve", {"by": "Sari", "allocations": too_much}, result_type=DecisionOutcome
            )
        cause = refused.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == "does_not_add_up"
        assert "Rp 110.000" in cause.message and "by Rp 10.000" in cause.message
        state = await handle.query(PaymentWorkflow.status)
    assert (state.status, state.decision) == ("awaiting_approval", None)
    assert await ledger(sessions, mutation_id) == []


async def test_two_finance_users_allocating_the_same_transfer_one_wins(
    receiver: RunningReceiver,
    client: Client,
    settings: Settings,
    sessions: Sessions,
    databases: Databases,
) -> None:
    async with running_worker(client, settings, databases):
        a, b = await create_order(receiver), await create_order(receiver, amount=120000)
        mutation_id = await flagged(receiver, client, account_number="1234567890", amount=400000)
        sari, budi = await asyncio.gather(
            approve(receiver, mutation_id, SARI, order_ref=a["ref"], difference="refund"),
            approve(receiver, mutation_id, BUDI, order_ref=b["ref"], difference="accept"),
        )
        await settled(client, f"moota-mutation-{mutation_id}")
    answers = {"Sari": sari, "Budi": budi}
    assert sorted(r.status_code for r in answers.values()) == [200, 409], (sari.text, budi.text)
    [winner] = [name for name, r in answers.items() if r.status_code == 200]
    loser = answers["Budi" if winner == "Sari" else "Sari"].json()
    assert (loser["error"], loser["decided_by"]) == ("already_decided", winner)
    rows = await ledger(sessions, mutation_id)
    assert {by for *_, by in rows} == {winner}
    assert sum(amount for kind, _, amount, _ in rows if kind != "write_off") == 400000
