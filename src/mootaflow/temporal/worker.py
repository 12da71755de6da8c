"""The worker: PaymentWorkflow, RetentionWorkflow, ReconcileWorkflow and every
activity, with the schedules, capacity checks and metrics of `mootaflow worker`.
`build_worker` is also what the tests and `bench/` run workers with."""

import asyncio
import compileall
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Interceptor, UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

import mootaflow
from mootaflow.activities.database_errors import DatabaseErrors
from mootaflow.activities.metrics import ATTEMPT_BUCKETS, ATTEMPT_NUMBER, ActivityMetrics
from mootaflow.activities.notify import NotifyActivities
from mootaflow.activities.payment import PaymentActivities
from mootaflow.activities.reconcile import ReconcileActivities
from mootaflow.activities.retention import RetentionActivities
from mootaflow.activities.writeback import WriteBackActivities
from mootaflow.domain.moota import Mutation
from mootaflow.domain.settings import Settings, SettingsError
from mootaflow.mootaapi import NO_RETRIES, MootaClient
from mootaflow.store.databases import Databases, open_databases
from mootaflow.store.db import PoolLimits
from mootaflow.temporal.client import connect_with_retry
from mootaflow.temporal.reconcile import ensure_reconcile_schedule
from mootaflow.temporal.schedules import ensure_retention_schedule
from mootaflow.temporal.starts import start_payment
from mootaflow.workflows import retries
from mootaflow.workflows.payment import PaymentWorkflow
from mootaflow.workflows.reconcile import ReconcileWorkflow
from mootaflow.workflows.retention import RetentionWorkflow

log = logging.getLogger("mootaflow.worker")


def check_capacity(settings: Settings) -> None:
    """Refuse settings under which the worker would fight its own database pool or
    cut running activities short on shutdown; the message names the variable."""
    step = retries.DATABASE.start_to_close.total_seconds()
    if settings.database_pool_timeout_seconds >= step:
        raise SettingsError(
            f"MOOTAFLOW_DATABASE_POOL_TIMEOUT_SECONDS ({settings.database_pool_timeout_seconds:g}) "
            f"must be below a database step's timeout ({step:g} s): an attempt waiting for a "
            "connection would time out while Temporal already runs its retry"
        )
    longest = retries.longest_attempt().total_seconds()
    if settings.worker_shutdown_seconds <= longest:
        raise SettingsError(
            f"MOOTAFLOW_WORKER_SHUTDOWN_SECONDS ({settings.worker_shutdown_seconds:g}) must be "
            f"above the longest activity attempt ({longest:g} s), or a deploy cuts attempts short"
        )


def activities(
    client: Client, settings: Settings, databases: Databases, http: httpx.AsyncClient
) -> list[Callable[..., Any]]:
    """Every activity the workflows call (by the names in activities/contracts.py)."""
    sessions = databases.sessions
    payment = PaymentActivities(databases.calls, settings, databases.inbox)
    notify = NotifyActivities(databases.calls, settings, http)
    # Every table the purge deletes from is a receiving one (store/databases.py).
    retention = RetentionActivities(databases.inbox)
    # Retries of Moota's API calls are Temporal's (workflows/retries.py), not the client's.
    moota = MootaClient.from_settings(settings, http=http, retry=NO_RETRIES)

    async def start(mutation: Mutation, source: str) -> str:
        return await start_payment(client, mutation, settings, source)

    # Reconciliation writes only receiving tables (with the webhook's, so an inbox
    # row and the pass that found it commit together).
    reconcile = ReconcileActivities(databases.inbox, settings, moota, start)
    write_back = WriteBackActivities(sessions, settings, moota)
    return [
        payment.record_mutation,
        payment.open_payment,
        payment.match_order,
        payment.mark_paid,
        payment.settle_payment,
        payment.allocate,
        payment.flag_payment,
        payment.generate_invoice,
        payment.record_decision,
        payment.set_payment_status,
        notify.notify_customer,
        notify.notify_merchant,
        notify.notify_finance,
        retention.purge_audit_rows,
        write_back.write_back_to_moota,
        reconcile.list_moota_banks,
        reconcile.begin_reconcile_pass,
        reconcile.reconcile_page,
        reconcile.finish_reconcile_pass,
    ]


def workflow_runner(settings: Settings) -> WorkflowRunner:
    """Temporal's sandbox with MOOTAFLOW_WORKER_SANDBOX (the tests' setting), else none:
    the workflow modules hold constants only, so runs share nothing through them."""
    return SandboxedWorkflowRunner() if settings.worker_sandbox else UnsandboxedWorkflowRunner()


def build_worker(
    client: Client,
    settings: Settings,
    databases: Databases,
    http: httpx.AsyncClient,
    interceptors: Sequence[Interceptor] = (),
    workflows: Sequence[type] = (PaymentWorkflow, RetentionWorkflow, ReconcileWorkflow),
) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=list(workflows),
        workflow_runner=workflow_runner(settings),
        activities=activities(client, settings, databases, http),
        # Outermost first: attempts are counted with the outcome the server sees.
        interceptors=[ActivityMetrics(), DatabaseErrors(), *interceptors],
        # Each running activity holds at most one database connection at a time; no
        # more of them than the pool has connections, or they queue for one. As many
        # first attempts in the worker (retries.py, local_first) again beside them.
        max_concurrent_activities=settings.worker_max_activities,
        max_concurrent_local_activities=settings.worker_max_activities,
        # On SIGTERM (deploys) running activities finish; Temporal retries the rest.
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_shutdown_seconds),
    )


def metrics_runtime(settings: Settings) -> Runtime | None:
    """A Temporal runtime exporting the SDK's metrics and ours on the worker's port."""
    if settings.worker_metrics_port is None:
        return None
    address = f"{settings.worker_metrics_host}:{settings.worker_metrics_port}"
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(
                bind_address=address,
                # Counters named as Prometheus expects (and as the receiver's are).
                counters_total_suffix=True,
                histogram_bucket_overrides={ATTEMPT_NUMBER: [float(b) for b in ATTEMPT_BUCKETS]},
            )
        )
    )


def compile_workflow_code() -> None:
    """Bytecode for the package, written once at start-up.

    The workflow sandbox (MOOTAFLOW_WORKER_SANDBOX) re-imports the workflow modules
    for every run. Without bytecode on disk (an editable install run with
    PYTHONDONTWRITEBYTECODE, as `mootaflow dev` often is) every run compiled their
    source again: 5% of the worker's CPU in the profile (docs/bench/). A read-only
    install keeps what it has.
    """
    with contextlib.suppress(OSError):
        compileall.compile_dir(Path(mootaflow.__file__).parent, quiet=1)


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    check_capacity(settings)
    if settings.worker_sandbox:
        await asyncio.to_thread(compile_workflow_code)
    runtime = metrics_runtime(settings)
    client = await connect_with_retry(settings, stop, runtime)
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
    async with (
        open_databases(settings, PoolLimits.of(settings)) as databases,
        httpx.AsyncClient() as http,
    ):
        worker = build_worker(client, settings, databases, http)
        log.info(
            "worker running",
            extra={
                "task_queue": settings.task_queue,
                "namespace": settings.temporal_namespace,
                "address": settings.temporal_address,
                "max_activities": settings.worker_max_activities,
                "metrics": (
                    f"http://{settings.worker_metrics_host}:{settings.worker_metrics_port}/metrics"
                    if runtime
                    else None
                ),
            },
        )
        async with worker:
            await stop.wait()
    log.info("worker stopped")
