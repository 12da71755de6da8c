"""A delivery re-sent after Temporal and the inbox have both forgotten it books nothing
twice: the database constraints on payments, orders, invoices and notifications hold."""

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from mootaflow.domain.settings import Settings
from mootaflow.store.databases import Databases
from mootaflow.store.db import Sessions
from mootaflow.store.retention import purge_before
from mootaflow.store.tables import Invoice
from mootaflow.temporal.client import DATA_CONVERTER
from mootaflow.temporal.devserver import temporal_binary
from mootaflow.temporal.worker import build_worker
from mootaflow.workflows import search_attributes
from tests.support.callbacks import Merchant
from tests.support.flows import create_order, pay, transfer, wait_started
from tests.support.servers import RunningReceiver, running_receiver
from tests.support.smtp import SmtpServer


async def test_resend_after_temporal_and_inbox_forgot_books_nothing_twice(
    settings: Settings,
    receiver: RunningReceiver,
    client: Client,
    worker: Worker,
    sessions: Sessions,
    smtp: SmtpServer,
    merchant: Merchant,
    databases: Databases,
) -> None:
    order = await create_order(receiver, customer_email="once@example.com")
    item = transfer(order)
    [first] = await pay(receiver, client, item)
    assert first.status == "paid"
    await wait_started(databases.inbox, item["mutation_id"])

    # Forget it everywhere a re-send is normally caught: Temporal (as after the
    # namespace retention: here a Temporal server that never saw this workflow id)
    # and the receiver's inbox (as after the audit purge).
    purged = await purge_before(databases.inbox, datetime.now(UTC) + timedelta(days=1))
    assert purged.inbox_rows == 1
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=list(search_attributes.ALL),
        data_converter=DATA_CONVERTER,
    ) as forgetful:
        other = forgetful.client
        moved = settings.model_copy(
            update={"temporal_address": other.service_client.config.target_host}
        )
        async with (
            running_receiver(moved) as fresh_receiver,
            httpx.AsyncClient() as http,
            build_worker(other, moved, databases, http),
        ):
            [again] = await pay(fresh_receiver, other, item)  # a brand-new workflow run

    assert (again.status, again.order_ref, again.invoice_number) == (
        "paid",
        order["ref"],
        first.invoice_number,
    )
    assert again.notifications == {
        "customer_email": "already_sent",
        "merchant_callback": "already_sent",
        "moota_write_back": "off",  # no Moota token configured
    }
    async with sessions.begin() as session:
        invoices = (await session.execute(select(func.count()).select_from(Invoice))).scalar_one()
    assert invoices == 1
    assert len(smtp.sink.to("once@example.com")) == 1
    assert len(merchant.received) == 1
