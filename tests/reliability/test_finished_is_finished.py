"""Finished is finished: a mutation re-sent after Temporal and the inbox both forgot it
starts a new run, which records the re-send and ends where the payment ended (rejected,
ignored, unresolved-then-decided), without matching it again. (Paid: test_duplicates.)"""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from mootaflow.domain.settings import Settings
from mootaflow.store import payments
from mootaflow.store.databases import Databases
from mootaflow.store.db import Sessions
from mootaflow.store.retention import purge_before
from mootaflow.store.tables import Invoice
from mootaflow.temporal.client import DATA_CONVERTER
from mootaflow.temporal.devserver import temporal_binary
from mootaflow.temporal.worker import build_worker
from mootaflow.workflows import search_attributes
from mootaflow.workflows.payment_types import PaymentState
from tests.support.flows import create_order, pay, transfer, wait_started
from tests.support.local import steps_taken
from tests.support.moota import mutation
from tests.support.servers import running_receiver
from tests.support.smtp import SmtpServer

FINANCE = {"Authorization": "Bearer sari-finance-token"}


async def activities_run(client: Client, workflow_id: str) -> list[str]:
    """The steps a run took, in the worker or through the server, in order."""
    return [step for _, step in await steps_taken(client.get_workflow_handle(workflow_id))]


async def test_resend_of_a_finished_payment_is_recorded_and_not_matched_again(
    settings: Settings, client: Client, sessions: Sessions, smtp: SmtpServer, databases: Databases
) -> None:
    # Unresolved 3 s after being flagged (fixed per run when it starts).
    quick = settings.model_copy(
        update={
            "finance_tokens": ["Sari:sari-finance-token"],
            "approval_reminder_hours": 1 / 3600,
            "approval_timeout_hours": 3 / 3600,
        }
    )
    async with (
        running_receiver(quick) as receiver,
        httpx.AsyncClient() as http,
        build_worker(client, quick, databases, http),
    ):
        order = await create_order(receiver, customer_email="late@example.com")
        rejected, ignored = mutation(amount=12345), mutation(type="DB", amount=5000)
        late = transfer(order, amount=order["amount"] - 1, note=order["ref"])  # underpaid
        waiting = await pay(receiver, client, rejected, ignored, late)
        assert [s.status for s in waiting] == ["awaiting_approval", "ignored", "awaiting_approval"]
        answer = await receiver.http.post(
            f"/api/payments/{rejected['mutation_id']}/reject",
            json={"reason": "personal transfer"},
            headers=FINANCE,
        )
        assert answer.status_code == 200, answer.text
        handle = client.get_workflow_handle(_wid(late), result_type=PaymentState)
        assert (await handle.result()).status == "unresolved"
        answer = await receiver.http.post(
            f"/api/payments/{late['mutation_id']}/approve",
            json={"difference": "accept"},  # Rp 1 short: let it off
            headers=FINANCE,
        )
        assert (answer.status_code, answer.json()["result"]) == (200, "booked"), answer.text
        invoice = answer.json()["invoice_number"]
        await handle.result()  # the run the decision started, notifications included
        for item in (rejected, ignored, late):
            await wait_started(databases.inbox, item["mutation_id"])

    purged = await purge_before(databases.inbox, datetime.now(UTC) + timedelta(days=1))
    assert purged.inbox_rows == 3
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=list(search_attributes.ALL),
        data_converter=DATA_CONVERTER,
    ) as forgetful:
        other = forgetful.client
        moved = quick.model_copy(
            update={"temporal_address": other.service_client.config.target_host}
        )
        async with (
            running_receiver(moved) as fresh_receiver,
            httpx.AsyncClient() as http,
            build_worker(other, moved, databases, http),
        ):
            again = await pay(fresh_receiver, other, rejected, ignored, late)
            ran = {
                item["mutation_id"]: await activities_run(other, _wid(item))
                for item in (rejected, ignored, late)
            }

    by_id: dict[str, PaymentState] = {s.mutation_id: s for s in again}
    assert by_id[rejected["mutation_id"]].status == "rejected"
    assert by_id[rejected["mutation_id"]].decision is not None
    assert by_id[ignored["mutation_id"]].status == "ignored"
    paid = by_id[late["mutation_id"]]
    assert (paid.status, paid.invoice_number) == ("paid", invoice)
    assert paid.notifications == {
        "customer_email": "already_sent",
        "merchant_callback": "already_sent",
        "moota_write_back": "off",  # no Moota token configured
    }
    assert all(state.resent for state in again)
    for name in ran.values():
        assert "match_order" not in name and name[0] == "settle_payment"
    assert ran[rejected["mutation_id"]] == ["settle_payment"]

    async with sessions.begin() as session:
        found: dict[str, list[str]] = {}
        for item in (rejected, ignored, late):
            rows = await session.run_sync(payments.resends, item["mutation_id"])
            found[item["mutation_id"]] = [row.status for row in rows]
        invoices = (await session.execute(select(func.count()).select_from(Invoice))).scalar_one()
    assert found[rejected["mutation_id"]] == ["rejected"]
    assert found[ignored["mutation_id"]] == ["ignored"]
    # The decision's run found it unresolved; the re-send's run found it paid.
    assert found[late["mutation_id"]] == ["unresolved", "paid"]
    assert invoices == 1
    assert len(smtp.sink.to("late@example.com")) == 1


def _wid(item: dict[str, Any]) -> str:
    return f"moota-mutation-{item['mutation_id']}"
