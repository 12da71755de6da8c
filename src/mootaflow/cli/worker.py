"""`mootaflow worker`: runs the workflows (payments, retention, reconciliation) and
their activities, and keeps the schedules in line with the settings."""

import asyncio
import logging
from datetime import timedelta

import httpx
from temporalio.client import Client
from temporalio.worker import Worker

from mootaflow.activities.notify import NotifyActivities
from mootaflow.activities.payment import PaymentActivities
from mootaflow.activities.reconcile import ReconcileActivities
from mootaflow.activities.retention import RetentionActivities
from mootaflow.activities.writeback import WriteBackActivities
from mootaflow.domain.moota import Mutation
from mootaflow.domain.settings import Settings
from mootaflow.mootaapi import NO_RETRIES, MootaClient
from mootaflow.store.db import Sessions, open_database, session_factory
from mootaflow.workflows.payment import PaymentWorkflow
from mootaflow.workflows.reconcile import ReconcileWorkflow
from mootaflow.workflows.reconcile_schedule import ensure_reconcile_schedule
from mootaflow.workflows.retention import RetentionWorkflow, ensure_retention_schedule
from mootaflow.workflows.starting import approval_policy, start_payment
from mootaflow.workflows.temporal import connect

log = logging.getLogger("mootaflow.worker")


def build_worker(
    client: Client, settings: Settings, sessions: Sessions, http: httpx.AsyncClient
) -> Worker:
    payment = PaymentActivities(sessions, settings)
    notify = NotifyActivities(sessions, settings, http)
    retention = RetentionActivities(sessions)
    # Retries of Moota's API calls are Temporal's (workflows/retries.py), not the client's.
    moota = MootaClient.from_settings(settings, http=http, retry=NO_RETRIES)
    approval = approval_policy(settings)

    async def start(mutation: Mutation, source: str) -> str:
        return await start_payment(
            client, mutation, source=source, task_queue=settings.task_queue, approval=approval
        )

    reconcile = ReconcileActivities(sessions, settings, moota, start)
    write_back = WriteBackActivities(sessions, settings, moota)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[PaymentWorkflow, RetentionWorkflow, ReconcileWorkflow],
        activities=[
            payment.record_mutation,
            payment.match_order,
            payment.mark_paid,
            payment.flag_payment,
            payment.generate_invoice,
            payment.record_decision,
            payment.set_payment_status,
            notify.notify_customer,
            notify.notify_merchant,
            notify.notify_finance,
            retention.purge_audit_rows,
            reconcile.list_moota_banks,
            reconcile.begin_reconcile_pass,
            reconcile.reconcile_page,
            reconcile.finish_reconcile_pass,
            write_back.write_back_to_moota,
        ],
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
    client = await connect_with_retry(settings, stop)
    if client is None:
        return
    if not settings.smtp_host:
        log.info(
            "no SMTP server configured: emails are written to the outbox folder",
            extra={"outbox": str(settings.outbox_dir.resolve())},
        )
    await ensure_retention_schedule(client, settings.audit_retention_days, settings.task_queue)
    reconcile = await ensure_reconcile_schedule(client, settings)
    log.info(
        "reconcile schedule " + reconcile,
        extra={"every_minutes": settings.reconcile_interval_minutes}
        if settings.moota_api_token
        else {"reason": "MOOTAFLOW_MOOTA_API_TOKEN is not set"},
    )
    async with open_database(settings.database_url) as engine, httpx.AsyncClient() as http:
        worker = build_worker(client, settings, session_factory(engine), http)
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
