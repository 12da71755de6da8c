"""PaymentWorkflow on the real dev server: activity effects, status, search attributes."""

import asyncio
from decimal import Decimal

from temporalio.client import Client
from temporalio.worker import Worker

from mootaflow.domain.moota import parse_mutation
from mootaflow.store.db import Sessions
from mootaflow.store.payments import get_payment
from mootaflow.workflows import search_attributes as sa
from mootaflow.workflows.payment import PaymentState, PaymentWorkflow
from tests.support.moota import mutation
from tests.support.temporal import start_payment


async def test_workflow_records_the_payment_and_reports_received(
    client: Client, task_queue: str, sessions: Sessions, worker: Worker
) -> None:
    parsed = parse_mutation(mutation(amount="150123.00", account_number=987654))
    handle = await start_payment(client, task_queue, parsed)
    assert await handle.result() == PaymentState(mutation_id=parsed.mutation_id, status="received")
    assert await handle.query(PaymentWorkflow.status) == PaymentState(
        parsed.mutation_id, "received"
    )

    async with sessions() as session:
        payment = await get_payment(session, parsed.mutation_id)
    assert payment is not None
    assert (payment.status, payment.amount, payment.account_number) == (
        "received",
        Decimal(150123),
        "987654",
    )
    assert payment.mutation_date == parsed.date

    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(sa.MOOTA_MUTATION_ID) == parsed.mutation_id
    assert attributes.get(sa.MOOTA_ACCOUNT) == "987654"
    assert attributes.get(sa.AMOUNT_IDR) == 150123
    assert attributes.get(sa.PAYMENT_STATUS) == "received"

    # Operators can filter on them (visibility is eventually consistent).
    query = f'PaymentStatus = "received" AND MootaMutationId = "{parsed.mutation_id}"'
    async with asyncio.timeout(10):
        while not [w async for w in client.list_workflows(query)]:
            await asyncio.sleep(0.2)
