"""What operators see: Prometheus metrics by scraping /metrics, JSON logs with the ids
that tie a delivery to its workflows, and never a secret in either."""

import asyncio
import json
import logging
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlmodel import col
from temporalio.client import Client
from temporalio.worker import Worker

from mootaflow.cli.logs import JsonFormatter
from mootaflow.domain.settings import Settings
from mootaflow.domain.signature import sign
from mootaflow.store.db import Sessions
from mootaflow.store.tables import Delivery
from tests.conftest import TEST_API_KEY, TEST_SECRET
from tests.support.flows import create_order, pay, transfer
from tests.support.moota import body_of, mutation, post_signed
from tests.support.servers import RunningReceiver, running_receiver

BANK_SESSION = "bank-session-token-do-not-log"


async def scrape(receiver: RunningReceiver) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = (await receiver.http.get("/metrics")).text
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def json_logs() -> Iterator[list[str]]:
    """Everything logged during the test, formatted as the service formats it."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lines
    root.removeHandler(handler)
    root.setLevel(previous)


async def test_metrics_count_what_happened(
    receiver: RunningReceiver, client: Client, worker: Worker
) -> None:
    before = await scrape(receiver)
    item = mutation()
    body = body_of(item, item, {"not": "a mutation"})
    assert (await post_signed(receiver.http, body)).json() == {
        "received": 3,
        "duplicates": 1,
        "quarantined": 1,
    }
    assert (await post_signed(receiver.http, body, secret="wrong")).status_code == 401
    async with asyncio.timeout(10):
        while value(
            await scrape(receiver), "mootaflow_workflow_starts_total", result="started"
        ) <= value(before, "mootaflow_workflow_starts_total", result="started"):
            await asyncio.sleep(0.1)
    # The row is marked started shortly after the start (in batches): the backlog drains.
    async with asyncio.timeout(10):
        while True:
            await receiver.state["redrive"].once()
            after = await scrape(receiver)
            if value(after, "mootaflow_redrive_backlog") == 0:
                break
            await asyncio.sleep(0.1)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("mootaflow_webhook_deliveries_total", verdict="accepted") == 1
    assert grew("mootaflow_webhook_deliveries_total", verdict="bad_signature") == 1
    assert grew("mootaflow_webhook_mutations_total", outcome="new") == 1
    assert grew("mootaflow_webhook_mutations_total", outcome="duplicate") == 1
    assert grew("mootaflow_webhook_mutations_total", outcome="quarantined") == 1
    assert grew("mootaflow_webhook_ack_seconds_count") == 1
    assert grew("mootaflow_workflow_starts_total", result="started") == 1


async def test_logs_are_json_with_ids_and_never_secrets(
    receiver: RunningReceiver, client: Client, worker: Worker, json_logs: list[str]
) -> None:
    order = await create_order(receiver)
    item = transfer(order, bank={"meta": {"access_token": BANK_SESSION}, "bank_type": "bca"})
    [state] = await pay(receiver, client, item)
    assert state.status == "paid"
    forged = body_of(mutation())
    await receiver.http.post(
        "/webhooks/moota",
        content=forged,
        headers={"Content-Type": "application/json", "Signature": sign(forged, "guess")},
    )

    entries = [json.loads(line) for line in json_logs]
    accepted = next(e for e in entries if e["message"] == "delivery accepted")
    assert isinstance(accepted["delivery_id"], int)
    assert accepted["mutation_ids"] == [item["mutation_id"]]
    started = next(e for e in entries if e["message"] == "workflow started")
    assert started["workflow_id"] == f"moota-mutation-{item['mutation_id']}"
    booked = next(e for e in entries if e["message"] == "order booked")
    assert (booked["mutation_id"], booked["workflow_id"]) == (
        item["mutation_id"],
        started["workflow_id"],
    )
    assert any(
        e["message"] == "delivery refused" and e["verdict"] == "bad_signature" for e in entries
    )

    everything = "\n".join(json_logs)
    for secret in (TEST_SECRET, TEST_API_KEY, BANK_SESSION, item["token"]):
        assert secret not in everything


MOOTA_ADDRESSES = ["103.236.201.178", "103.28.52.182"]


async def test_only_mootas_two_sending_addresses_get_through_and_others_are_counted(
    settings: Settings, inbox_sessions: Sessions
) -> None:
    # Behind a TLS proxy on loopback, allow-listed to the addresses of .env.example.
    moota_only = settings.model_copy(
        update={"allowed_ips": MOOTA_ADDRESSES, "trusted_proxies": ["127.0.0.1"]}
    )
    async with running_receiver(moota_only) as receiver:
        before = await scrape(receiver)
        for address in MOOTA_ADDRESSES:
            response = await post_signed(
                receiver.http, body_of(mutation()), headers={"X-Forwarded-For": address}
            )
            assert response.status_code == 200, response.text
        elsewhere = await post_signed(
            receiver.http, body_of(mutation()), headers={"X-Forwarded-For": "198.51.100.7"}
        )
        after = await scrape(receiver)
    assert (elsewhere.status_code, elsewhere.json()["error"]) == (403, "forbidden_source")
    name = "mootaflow_webhook_deliveries_total"
    grew = {
        v: value(after, name, verdict=v) - value(before, name, verdict=v)
        for v in ("accepted", "forbidden_source")
    }
    assert grew == {"accepted": 2, "forbidden_source": 1}
    async with inbox_sessions.begin() as session:
        refused = (
            (
                await session.execute(
                    select(Delivery).where(col(Delivery.verdict) == "forbidden_source")
                )
            )
            .scalars()
            .all()
        )
    assert [(d.source_ip, d.status_code, d.body) for d in refused] == [("198.51.100.7", 403, None)]
