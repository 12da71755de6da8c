"""`mootaflow worker`: runs PaymentWorkflow and its activities."""

import asyncio
import logging
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from mootaflow.activities.payment import PaymentActivities
from mootaflow.domain.settings import Settings
from mootaflow.store.db import Sessions, create_engine, create_schema, session_factory
from mootaflow.workflows.payment import PaymentWorkflow
from mootaflow.workflows.temporal import connect

log = logging.getLogger("mootaflow.worker")


def build_worker(client: Client, task_queue: str, sessions: Sessions) -> Worker:
    activities = PaymentActivities(sessions)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[PaymentWorkflow],
        activities=[activities.record_mutation],
        # Let running activities finish on SIGTERM (deploys); Temporal retries the rest.
        graceful_shutdown_timeout=timedelta(seconds=10),
    )


async def connect_with_retry(settings: Settings, stop: asyncio.Event) -> Client | None:
    """Wait for Temporal to answer (it may still be starting); None if asked to stop."""
    delay = 0.5
    while not stop.is_set():
        try:
            return await connect(settings)
        except Exception as exc:
            log.warning(
                "Temporal not reachable yet, retrying",
                extra={"address": settings.temporal_address, "error": str(exc)[:200]},
            )
        try:
            await asyncio.wait_for(stop.wait(), delay)
        except TimeoutError:
            delay = min(delay * 2, 10.0)
    return None


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    engine = create_engine(settings.database_url)
    await create_schema(engine)
    try:
        client = await connect_with_retry(settings, stop)
        if client is None:
            return
        worker = build_worker(client, settings.task_queue, session_factory(engine))
        log.info(
            "worker running",
            extra={
                "task_queue": settings.task_queue,
                "namespace": settings.temporal_namespace,
                "address": settings.temporal_address,
            },
        )
        async with worker:
            await stop.wait()
        log.info("worker stopped")
    finally:
        await engine.dispose()
