"""A worker killed with SIGKILL in the middle of a batch: every payment still completes,
with exactly one invoice, one email and one callback each.

Invoices are exact: number and row share a database transaction. Email and HTTP
cannot be made transactional with our database, so a kill in the milliseconds
between the peer's acceptance and our record of it re-sends the same message:
same Message-ID, same Idempotency-Key, same bytes, which is what receivers
de-duplicate on. The test holds each payment to exactly one distinct email and
one distinct callback.
"""

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import func, select
from sqlmodel import col
from temporalio.client import Client

from mootaflow.domain.settings import Settings
from mootaflow.store.db import Sessions, reading
from mootaflow.store.tables import Invoice, Order, Payment
from mootaflow.workflows.payment_types import PaymentState
from tests.support.callbacks import Merchant
from tests.support.flows import create_order, transfer
from tests.support.moota import body_of, post_signed
from tests.support.processes import MOOTAFLOW, clean_env
from tests.support.servers import RunningReceiver
from tests.support.smtp import SmtpServer
from tests.support.temporal import wait_for_workflow

BATCH = 12


def worker_env(settings: Settings) -> dict[str, str]:
    return clean_env(
        MOOTAFLOW_DATABASE_URL=settings.database_url,
        MOOTAFLOW_TEMPORAL_ADDRESS=settings.temporal_address,
        MOOTAFLOW_TASK_QUEUE=settings.task_queue,
        MOOTAFLOW_SMTP_HOST=str(settings.smtp_host),
        MOOTAFLOW_SMTP_PORT=str(settings.smtp_port),
        MOOTAFLOW_SMTP_SECURITY=settings.smtp_security,
        MOOTAFLOW_MERCHANT_CALLBACK_URL=str(settings.merchant_callback_url),
        MOOTAFLOW_MERCHANT_CALLBACK_SECRET=str(settings.merchant_callback_secret),
        MOOTAFLOW_LOG_FORMAT="console",
    )


@asynccontextmanager
async def worker_process(settings: Settings) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        *MOOTAFLOW,
        "worker",
        env=worker_env(settings),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def paid_orders(sessions: Sessions) -> int:
    async with reading(sessions) as session:
        query = select(func.count()).select_from(Order).where(col(Order.status) == "paid")
        return int((await session.execute(query)).scalar_one())


async def payments_recorded(sessions: Sessions) -> int:
    async with reading(sessions) as session:
        return int((await session.execute(select(func.count()).select_from(Payment))).scalar_one())


async def test_worker_killed_mid_batch_then_restarted(
    settings: Settings,
    receiver: RunningReceiver,
    client: Client,
    sessions: Sessions,
    smtp: SmtpServer,
    merchant: Merchant,
) -> None:
    orders = [
        await create_order(receiver, amount=100000 + n * 1000, customer_email=f"c{n}@example.com")
        for n in range(BATCH)
    ]
    items = [transfer(order) for order in orders]
    assert (await post_signed(receiver.http, body_of(*items))).status_code == 200

    async with worker_process(settings) as first:
        async with asyncio.timeout(60):
            # The first payments recorded: the batch is under way. (Waiting for paid
            # orders let a fast worker book all twelve before the kill landed.)
            while await payments_recorded(sessions) < 2:
                await asyncio.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        await first.wait()
    done_at_kill = await paid_orders(sessions)
    assert done_at_kill < BATCH, "the batch finished before the kill; make it larger"

    async with worker_process(settings):
        for item in items:
            workflow_id = f"moota-mutation-{item['mutation_id']}"
            await wait_for_workflow(client, workflow_id)
            handle = client.get_workflow_handle(workflow_id, result_type=PaymentState)
            state = await asyncio.wait_for(handle.result(), 120)
            assert state.status == "paid"
            assert state.notifications == {
                "customer_email": "sent",
                "merchant_callback": "sent",
                "moota_write_back": "off",  # no Moota token configured
            }

    async with sessions.begin() as session:
        invoices = (await session.execute(select(Invoice))).scalars().all()
    assert sorted(i.order_ref for i in invoices) == sorted(o["ref"] for o in orders)
    numbers = sorted(int(i.number.rsplit("-", 1)[1]) for i in invoices)
    assert numbers == list(range(1, BATCH + 1))  # gap-free despite the crash
    for n in range(BATCH):
        emails = smtp.sink.to(f"c{n}@example.com")
        assert emails, f"no email for payment {n}"
        assert len({m["Message-ID"] for m in emails}) == 1
    callbacks: dict[str, set[bytes]] = {}
    for request in merchant.received:
        callbacks.setdefault(request.headers["idempotency-key"], set()).add(request.body)
    assert sorted(callbacks) == sorted(f"order.paid:{o['ref']}" for o in orders)
    assert all(len(bodies) == 1 for bodies in callbacks.values())
