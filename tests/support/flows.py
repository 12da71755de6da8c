"""Driving the whole system as Moota and a merchant would, for end-to-end tests."""

import asyncio
from typing import Any

from temporalio.client import Client

from mootaflow.store import inbox
from mootaflow.store.db import Sessions
from mootaflow.workflows.payment_types import PaymentState
from tests.conftest import TEST_API_KEY
from tests.support.moota import mutation, php_body_of, post_signed
from tests.support.servers import RunningReceiver
from tests.support.temporal import settled

API = {"Authorization": f"Bearer {TEST_API_KEY}"}


async def create_order(receiver: RunningReceiver, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"account_number": "1234567890", "amount": 150000}
    body.update(fields)
    response = await receiver.http.post("/api/orders", json=body, headers=API)
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


async def pay(
    receiver: RunningReceiver, client: Client, *items: dict[str, Any]
) -> list[PaymentState]:
    """Deliver mutations through the webhook (bytes as Moota's PHP writes them) and
    wait for their workflows to finish."""
    response = await post_signed(receiver.http, php_body_of(*items))
    assert response.status_code == 200, response.text
    return [await settled(client, f"moota-mutation-{item['mutation_id']}") for item in items]


def transfer(order: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A bank mutation paying `order` exactly."""
    values: dict[str, Any] = {"account_number": order["account_number"], "amount": order["amount"]}
    values.update(changes)
    return mutation(**values)


async def wait_started(sessions: Sessions, mutation_id: str, timeout: float = 30.0) -> None:
    """Until the inbox row is marked started (marking is batched, after the start)."""
    async with asyncio.timeout(timeout):
        while True:
            async with sessions.begin() as session:
                row = await inbox.get_inbox_row(session, mutation_id)
            if row is not None and row.state == "started":
                return
            await asyncio.sleep(0.1)
