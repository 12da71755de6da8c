"""Finance on the real dev server: find flagged payments, decide over HTTP and the CLI."""

import asyncio
import json
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from mootaflow.domain.settings import Settings
from mootaflow.store import payments
from mootaflow.store.db import Sessions
from mootaflow.workflows.payment_types import PaymentState
from tests.conftest import TEST_API_KEY
from tests.support.flows import create_order, pay, transfer
from tests.support.moota import mutation
from tests.support.processes import clean_env, run_mootaflow
from tests.support.servers import RunningReceiver
from tests.support.smtp import SmtpServer

FINANCE_TOKEN = "sari-finance-token"
FINANCE = {"Authorization": f"Bearer {FINANCE_TOKEN}"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"finance_tokens": [f"Sari:{FINANCE_TOKEN}"]})


async def test_flagged_payment_is_found_approved_over_http_and_paid(
    receiver: RunningReceiver,
    client: Client,
    worker: Worker,
    sessions: Sessions,
    smtp: SmtpServer,
) -> None:
    order = await create_order(receiver, customer_email="budi@example.com")
    item = mutation(amount=12345)  # matches nothing
    [state] = await pay(receiver, client, item)
    assert (state.status, state.flag_reason) == ("awaiting_approval", "no_match")

    query = f'PaymentStatus = "awaiting_approval" AND MootaMutationId = "{item["mutation_id"]}"'
    async with asyncio.timeout(10):
        while not [w async for w in client.list_workflows(query)]:
            await asyncio.sleep(0.2)

    listed = await receiver.http.get("/api/payments?status=awaiting_approval", headers=FINANCE)
    assert listed.status_code == 200
    [waiting] = listed.json()["payments"]
    assert (waiting["mutation_id"], waiting["flag_reason"]) == (item["mutation_id"], "no_match")
    assert waiting["age_seconds"] >= 0

    url = f"/api/payments/{item['mutation_id']}/approve"
    missing_order = await receiver.http.post(url, json={}, headers=FINANCE)
    assert missing_order.status_code == 422
    assert "needs an order_ref" in missing_order.json()["detail"]
    unknown = await receiver.http.post(url, json={"order_ref": "MF-NONE-NONE"}, headers=FINANCE)
    assert (unknown.status_code, unknown.json()["error"]) == (422, "unknown_order")

    body = {"order_ref": order["ref"], "note": "customer typo", "difference": "accept"}
    answered = await receiver.http.post(url, json=body, headers=FINANCE)
    # The answer is the outcome: booked, with the invoice, and the payment as it now is.
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert (body["result"], body["by"], body["order_ref"]) == ("booked", "Sari", order["ref"])
    assert body["invoice_number"].startswith("INV-")
    assert (body["payment"]["status"], body["payment"]["order_ref"]) == ("paid", order["ref"])
    assert body["payment"]["invoice"]["number"] == body["invoice_number"]
    assert body["payment"]["decision"]["by"] == "Sari"
    handle = client.get_workflow_handle(
        f"moota-mutation-{item['mutation_id']}", result_type=PaymentState
    )
    final = await asyncio.wait_for(handle.result(), 60)
    assert final.invoice_number == body["invoice_number"]
    assert (final.status, final.order_ref) == ("paid", order["ref"])
    assert final.invoice_number is not None
    assert len(smtp.sink.to("budi@example.com")) == 1
    async with sessions.begin() as session:
        record = await payments.get_decision(session, item["mutation_id"])
    assert record is not None and (record.decided_by, record.note) == ("Sari", "customer typo")

    again = await receiver.http.post(url, json={"order_ref": order["ref"]}, headers=FINANCE)
    assert (again.status_code, again.json()["error"]) == (409, "already_decided")
    assert again.json()["decided_by"] == "Sari"


async def test_finance_auth(receiver: RunningReceiver) -> None:
    for method, path in (
        ("GET", "/api/payments"),
        ("POST", "/api/payments/m1/approve"),
        ("POST", "/api/payments/m1/reject"),
    ):
        none = await receiver.http.request(method, path, json={})
        assert none.status_code == 401
        merchant = await receiver.http.request(
            method, path, json={}, headers={"Authorization": f"Bearer {TEST_API_KEY}"}
        )
        assert (merchant.status_code, merchant.json()["error"]) == (403, "forbidden")
        wrong = await receiver.http.request(
            method, path, json={}, headers={"Authorization": "Bearer not-a-finance-token"}
        )
        assert wrong.status_code == 401
    ok = await receiver.http.get("/api/payments", headers=FINANCE)
    assert ok.status_code == 200
    bad_status = await receiver.http.get("/api/payments?status=lost", headers=FINANCE)
    assert bad_status.status_code == 400
    # Finance may read single payments and invoices, like merchants.
    assert (await receiver.http.get("/api/payments/none", headers=FINANCE)).status_code == 404


async def test_rejecting_needs_a_reason_and_a_waiting_payment(
    receiver: RunningReceiver, client: Client, worker: Worker
) -> None:
    order = await create_order(receiver)
    [paid] = await pay(receiver, client, transfer(order))
    url = f"/api/payments/{paid.mutation_id}/reject"
    no_reason = await receiver.http.post(url, json={}, headers=FINANCE)
    assert no_reason.status_code == 422
    not_waiting = await receiver.http.post(url, json={"reason": "x"}, headers=FINANCE)
    assert (not_waiting.status_code, not_waiting.json()["error"]) == (409, "not_awaiting_decision")


async def test_cli_pending_and_reject(
    settings: Settings, receiver: RunningReceiver, client: Client, worker: Worker, tmp_path: Path
) -> None:
    item = mutation(amount=4321)
    [state] = await pay(receiver, client, item)
    assert state.status == "awaiting_approval"
    env = clean_env(
        MOOTAFLOW_DATABASE_URL=settings.database_url,
        MOOTAFLOW_TEMPORAL_ADDRESS=settings.temporal_address,
    )
    listed = await run_mootaflow("pending", env=env, cwd=tmp_path)
    assert listed.code == 0
    assert item["mutation_id"] in listed.stdout
    assert "no_match" in listed.stdout and "Rp 4.321" in listed.stdout
    as_json = json.loads((await run_mootaflow("pending", "--json", env=env, cwd=tmp_path)).stdout)
    assert [row["mutation_id"] for row in as_json] == [item["mutation_id"]]

    refused = await run_mootaflow(
        "approve", item["mutation_id"], "--by", "Sari", env=env, cwd=tmp_path
    )
    assert refused.code == 1
    assert "needs an order_ref" in refused.stderr

    rejected = await run_mootaflow(
        "reject", item["mutation_id"], "--by", "Sari", "--reason", "personal transfer",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    # The command waits for the outcome and says it.
    assert rejected.code == 0, rejected.stderr
    assert "payment " + item["mutation_id"] + " is rejected" in rejected.stdout
    handle = client.get_workflow_handle(
        f"moota-mutation-{item['mutation_id']}", result_type=PaymentState
    )
    assert (await asyncio.wait_for(handle.result(), 60)).status == "rejected"
    again = await run_mootaflow(
        "reject", item["mutation_id"], "--by", "Budi", "--reason", "x", env=env, cwd=tmp_path
    )
    assert again.code == 1
    assert "already rejected by Sari" in again.stderr
    empty = await run_mootaflow("pending", env=env, cwd=tmp_path)
    assert "No payments are waiting" in empty.stdout
