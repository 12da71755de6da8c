"""The `mootaflow-reconcile` schedule, and one-off reconcile runs (customers' checks).

Client-side code: the worker keeps the schedule in line with its settings at
every start (like the retention schedule); the receiver starts checks.
"""

from datetime import timedelta
from typing import Literal

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from mootaflow.domain.settings import Settings
from mootaflow.temporal.schedules import ensure_schedule
from mootaflow.workflows import retries
from mootaflow.workflows.reconcile import ReconcileInput, ReconcileWorkflow

RECONCILE_SCHEDULE_ID = "mootaflow-reconcile"
# A check asks Moota to crawl now; the crawl takes a moment, so its account is
# reconciled at once (whatever Moota already has) and again after this long.
CHECK_FOLLOW_UP = timedelta(seconds=90)


def reconcile_schedule(settings: Settings) -> Schedule:
    every = timedelta(minutes=settings.reconcile_interval_minutes)
    return Schedule(
        action=ScheduleActionStartWorkflow(
            ReconcileWorkflow.run,
            ReconcileInput(),
            id="mootaflow-reconcile-run",
            task_queue=settings.task_queue,
            execution_timeout=retries.RECONCILE_RUN,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        policy=SchedulePolicy(
            # A pass still running (a long listing, Moota retrying) is not doubled;
            # the next one resumes from the database anyway.
            overlap=ScheduleOverlapPolicy.SKIP,
            # After downtime, one catch-up run covers all that was missed.
            catchup_window=max(every, timedelta(minutes=1)),
        ),
    )


async def ensure_reconcile_schedule(
    client: Client, settings: Settings
) -> Literal["created", "updated", "deleted", "off"]:
    """Create or update the schedule; without a Moota token, delete it if present."""
    handle = client.get_schedule_handle(RECONCILE_SCHEDULE_ID)
    if settings.moota_api_token is None:
        try:
            await handle.delete()
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            return "off"
        return "deleted"
    created = await ensure_schedule(client, RECONCILE_SCHEDULE_ID, reconcile_schedule(settings))
    return "created" if created else "updated"


def check_workflow_id(bank_id: str) -> str:
    return f"mootaflow-reconcile-check-{bank_id}"


async def start_check(client: Client, settings: Settings, bank_id: str) -> tuple[str, bool]:
    """Reconcile one account now (and once more after CHECK_FOLLOW_UP): the workflow
    id and whether this call started it (False: a check of it is already running)."""
    workflow_id = check_workflow_id(bank_id)
    try:
        await client.start_workflow(
            ReconcileWorkflow.run,
            ReconcileInput(
                accounts=[bank_id],
                trigger="check",
                # The customer says they paid: take everything Moota has, even if its
                # webhook may still be on the way (both paths lead to one payment).
                min_age_seconds=0,
                follow_up_seconds=int(CHECK_FOLLOW_UP.total_seconds()),
            ),
            id=workflow_id,
            task_queue=settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            # A check of this account still running covers this one too.
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            static_summary=f"customer check of Moota bank {bank_id}",
        )
    except WorkflowAlreadyStartedError:
        return workflow_id, False
    return workflow_id, True
