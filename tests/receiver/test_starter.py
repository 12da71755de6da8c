"""Temporal off the reply path: down, slow, or restarted, nothing acknowledged is lost."""

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from prometheus_client import REGISTRY
from temporalio.client import Client
from temporalio.worker import Worker

from mootaflow.domain.moota import Mutation, parse_mutation
from mootaflow.domain.settings import Settings
from mootaflow.store import inbox
from mootaflow.store.db import Sessions
from mootaflow.temporal.client import connect
from mootaflow.workflows.payment import PaymentWorkflow
from mootaflow.workflows.payment_types import PaymentInput
from tests.support.flows import wait_started
from tests.support.moota import body_of, mutation, post_signed
from tests.support.servers import running_receiver
from tests.support.tcp_proxy import TcpProxy
from tests.support.temporal import count_runs, describe_or_none, settled, wait_for_workflow


@pytest.fixture
async def proxy(temporal_address: str) -> AsyncIterator[TcpProxy]:
    host, port = temporal_address.rsplit(":", 1)
    proxy = await TcpProxy(host, int(port)).start()
    yield proxy
    await proxy.stop()


@pytest.fixture
def proxied(settings: Settings, proxy: TcpProxy) -> Settings:
    return settings.model_copy(update={"temporal_address": proxy.address})


async def row_state(inbox_sessions: Sessions, mutation_id: str) -> tuple[str, int]:
    async with inbox_sessions.begin() as session:
        row = await inbox.get_inbox_row(session, mutation_id)
    assert row is not None
    return row.state, row.start_attempts


async def test_temporal_down_acknowledges_then_redrives_when_back(
    proxied: Settings, proxy: TcpProxy, client: Client, inbox_sessions: Sessions, worker: Worker
) -> None:
    proxy.refuse()
    item = mutation()
    workflow_id = f"moota-mutation-{item['mutation_id']}"
    async with running_receiver(proxied) as receiver:
        response = await post_signed(receiver.http, body_of(item))
        assert response.status_code == 200
        assert response.json()["received"] == 1
        # The hot-path start fails once; the redrive passes then wait for Temporal
        # instead of hammering it (redrive_interval is 0.2 s in tests).
        async with asyncio.timeout(20):
            while (await row_state(inbox_sessions, item["mutation_id"]))[1] < 1:
                await asyncio.sleep(0.1)
        await asyncio.sleep(3)
        assert await row_state(inbox_sessions, item["mutation_id"]) == ("pending", 1)
        assert await describe_or_none(client, workflow_id) is None
        ready = await receiver.http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] == "ok"

        proxy.accept()
        await wait_started(inbox_sessions, item["mutation_id"])
        result = await settled(client, workflow_id)
        assert (result.status, result.flag_reason) == ("awaiting_approval", "no_match")
        assert (await receiver.http.get("/readyz")).status_code == 200
    assert await count_runs(client, workflow_id) == 1


async def test_ack_does_not_wait_for_a_slow_temporal(
    proxied: Settings, proxy: TcpProxy, client: Client, inbox_sessions: Sessions
) -> None:
    proxy.delay = 1.0
    # Baseline: what one start_workflow call costs through the slowed link.
    slow_client = await connect(proxied)
    baseline_item = mutation()
    began = time.perf_counter()
    await slow_client.start_workflow(
        PaymentWorkflow.run,
        PaymentInput(_parsed(baseline_item)),
        id=f"baseline-{baseline_item['mutation_id']}",
        task_queue=proxied.task_queue,
    )
    start_seconds = time.perf_counter() - began
    assert start_seconds >= proxy.delay

    async with running_receiver(proxied) as receiver:
        item = mutation()
        began = time.perf_counter()
        response = await post_signed(receiver.http, body_of(item))
        ack_seconds = time.perf_counter() - began
        assert response.status_code == 200
        # Acknowledged before Temporal even heard of it ...
        assert (await row_state(inbox_sessions, item["mutation_id"]))[0] == "pending"
        # ... and at database speed, a small fraction of one slow start.
        assert ack_seconds < start_seconds / 4, (ack_seconds, start_seconds)
        await wait_started(inbox_sessions, item["mutation_id"])
    assert await describe_or_none(client, f"moota-mutation-{item['mutation_id']}") is not None


async def test_rows_left_pending_by_a_dead_receiver_are_started_by_the_next(
    settings: Settings, proxied: Settings, proxy: TcpProxy, client: Client, inbox_sessions: Sessions
) -> None:
    proxy.refuse()
    items = [mutation(), mutation()]
    async with running_receiver(proxied) as receiver:
        assert (await post_signed(receiver.http, body_of(*items))).status_code == 200
    for item in items:
        assert (await row_state(inbox_sessions, item["mutation_id"]))[0] == "pending"

    # A new receiver process, Temporal reachable: its first redrive pass starts them.
    async with running_receiver(settings):
        for item in items:
            await wait_started(inbox_sessions, item["mutation_id"])
            await wait_for_workflow(client, f"moota-mutation-{item['mutation_id']}")


async def test_repeated_start_of_a_completed_workflow_is_harmless(
    settings: Settings, client: Client, inbox_sessions: Sessions, worker: Worker
) -> None:
    item = mutation(type="DB")  # a debit: ignored, so the workflow completes at once
    workflow_id = f"moota-mutation-{item['mutation_id']}"
    async with running_receiver(settings) as receiver:
        await post_signed(receiver.http, body_of(item))
        await wait_for_workflow(client, workflow_id)
        await client.get_workflow_handle(workflow_id).result()
        first_run = (await client.get_workflow_handle(workflow_id).describe()).run_id
        await wait_started(inbox_sessions, item["mutation_id"])

        # As if the process had died before marking the row: start it again.
        before = _starts("already_started")
        receiver.state["starts"].submit([_parsed(item)])
        async with asyncio.timeout(10):
            while _starts("already_started") == before:
                await asyncio.sleep(0.05)
        await wait_started(inbox_sessions, item["mutation_id"])
    assert (await client.get_workflow_handle(workflow_id).describe()).run_id == first_run
    assert await count_runs(client, workflow_id) == 1


def _parsed(item: dict[str, object]) -> Mutation:
    return parse_mutation(item)


def _starts(result: str) -> float:
    return REGISTRY.get_sample_value("mootaflow_workflow_starts_total", {"result": result}) or 0.0


async def test_repeated_start_of_a_running_workflow_reuses_it(
    settings: Settings, client: Client, inbox_sessions: Sessions
) -> None:
    # No worker on this task queue: the first run stays open.
    item = mutation()
    workflow_id = f"moota-mutation-{item['mutation_id']}"
    async with running_receiver(settings) as receiver:
        await post_signed(receiver.http, body_of(item))
        await wait_started(inbox_sessions, item["mutation_id"])
        first_run = (await client.get_workflow_handle(workflow_id).describe()).run_id

        before = _starts("started")
        receiver.state["starts"].submit([_parsed(item)])
        async with asyncio.timeout(10):
            while _starts("started") == before:
                await asyncio.sleep(0.05)
    description = await client.get_workflow_handle(workflow_id).describe()
    assert description.run_id == first_run
    assert description.status is not None and description.status.name == "RUNNING"
    assert await count_runs(client, workflow_id) == 1
