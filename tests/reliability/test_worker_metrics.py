"""The worker's Prometheus endpoint (MOOTAFLOW_WORKER_METRICS_PORT), scraped from a real
`mootaflow worker` process: the Temporal SDK's metrics and mootaflow's own (activity
attempts by step, payments by final status, decisions by kind). SIGTERM stops it
cleanly."""

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from temporalio.client import Client

from mootaflow.domain.decisions import DecisionOutcome
from mootaflow.domain.moota import parse_mutation
from mootaflow.domain.orders import NewOrder
from mootaflow.domain.settings import Settings
from mootaflow.store import orders
from mootaflow.store.db import Sessions
from mootaflow.temporal.schedules import RETENTION_SCHEDULE_ID
from tests.support.moota import mutation
from tests.support.processes import MOOTAFLOW, clean_env, free_port
from tests.support.temporal import settled, start_payment

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(url: str) -> Samples:
    async with httpx.AsyncClient() as http:
        text = (await http.get(url)).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum over every series of `name` carrying `labels` (the SDK adds its own)."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in samples.items() if n == name and wanted <= have)


async def test_worker_exports_sdk_and_mootaflow_metrics(
    settings: Settings, client: Client, sessions: Sessions, tmp_path: Path
) -> None:
    port = free_port()
    env = clean_env(
        MOOTAFLOW_DATABASE_URL=settings.database_url,
        MOOTAFLOW_TEMPORAL_ADDRESS=settings.temporal_address,
        MOOTAFLOW_TASK_QUEUE=settings.task_queue,
        MOOTAFLOW_WORKER_METRICS_PORT=str(port),
        MOOTAFLOW_OUTBOX_DIR=str(tmp_path / "outbox"),
    )
    process = await asyncio.create_subprocess_exec(
        *MOOTAFLOW, "worker", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        async with asyncio.timeout(30):
            while True:
                try:
                    await scrape(url)
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.2)
        async with sessions.begin() as session:
            order, _ = await orders.create_order(
                session,
                NewOrder(account_number="1234567890", amount=Decimal(150000)),
                codes=orders.CodeRange(1, 999),
                default_expiry=timedelta(hours=1),
                now=datetime.now(UTC) - timedelta(minutes=1),
            )
        paid = parse_mutation(mutation(amount=int(order.amount)))
        flagged = parse_mutation(mutation(amount=12))
        await start_payment(client, settings.task_queue, paid)
        handle = await start_payment(client, settings.task_queue, flagged)
        assert (await settled(client, paid.workflow_id)).status == "paid"
        assert (await settled(client, flagged.workflow_id)).status == "awaiting_approval"
        outcome = await handle.execute_update(
            "reject", {"by": "Sari", "reason": "test"}, result_type=DecisionOutcome
        )
        assert outcome.result == "rejected"
        await handle.result()

        async with httpx.AsyncClient() as http:
            raw = (await http.get(url)).text
        # Counters are named as Prometheus expects, like the receiver's.
        assert "\nmootaflow_payments_finished_total{" in raw
        samples = await scrape(url)
        assert total(samples, "mootaflow_payments_finished_total", status="paid") == 1
        assert total(samples, "mootaflow_payments_finished_total", status="rejected") == 1
        assert (
            total(
                samples, "mootaflow_decisions_total", kind="reject", via="update", result="rejected"
            )
            == 1
        )
        for step in ("settle_payment", "notify_customer"):
            assert (
                total(
                    samples,
                    "mootaflow_activity_attempts_total",
                    activity_type=step,
                    outcome="completed",
                )
                >= 1
            ), step
        # Attempt numbers as a histogram: alert on executions above a bucket bound.
        first_tries = total(
            samples, "mootaflow_activity_attempt_bucket", activity_type="settle_payment", le="1"
        )
        assert first_tries == 2
        assert total(samples, "temporal_workflow_completed_total") >= 2
        # Steps run in the worker (local activities) or through the server.
        executed = total(samples, "temporal_activity_execution_latency_count") + total(
            samples, "temporal_local_activity_execution_latency_count"
        )
        assert executed >= 8
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 90)
        await client.get_schedule_handle(RETENTION_SCHEDULE_ID).delete()
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert b"worker stopped" in stderr
