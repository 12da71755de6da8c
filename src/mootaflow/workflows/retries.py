"""Every retry policy and activity timeout, in one place, each with its reason.

Business failures (unknown order, a mail server's permanent refusal, a merchant's
4xx other than 408/429) are raised by the activities as non-retryable errors, so
no policy here ever retries them. Everything else is transient, and transient
causes are bounded by time, never by a count of attempts: a count turns a long
outage into a failed workflow (and, after a booking, a paid order without its
invoice), and nobody should have to press Reset once the database is back.

Changing a policy here is safe for running workflows: retry policies and
timeouts are not part of what replay compares, and an activity already scheduled
keeps the policy it was scheduled with.

A step marked `local_first` makes its first attempt as a local activity, in the
worker that runs the workflow: no round trip through the Temporal server, so a
payment that meets no trouble is settled in one workflow task. Only the first
attempt: if it fails (and may be retried), the step runs as a regular activity
under its full policy, so a long outage looks as it always did, a pending
activity with its attempt count and last failure in the Temporal UI and the
payment API. Whether a run may do this is patch LOCAL_FIRST (patches.py).
"""

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    FailureError,
    RetryState,
)

from mootaflow.activities.contracts import ActivityRef

In = TypeVar("In")
Out = TypeVar("Out")


@dataclass(frozen=True)
class Step:
    retry: RetryPolicy
    start_to_close: timedelta
    schedule_to_close: timedelta | None = None
    # First attempt in the worker (see above), with the step's own timeout: cut
    # shorter, an attempt slowed by a busy database would be thrown away and done
    # again, and an email that went out sent twice. While it runs the workflow
    # takes no Update: a decision arriving then waits for it (milliseconds, when all
    # is well). So steps that run beside the wait for a decision are never local.
    local_first: bool = False


async def execute(activity: ActivityRef[In, Out], arg: In, step: Step) -> Out:
    """Run an activity, named by its reference, under one of the policies below."""
    result: Out = await workflow.execute_activity(
        activity.name,
        arg,
        result_type=activity.result_type,
        start_to_close_timeout=step.start_to_close,
        schedule_to_close_timeout=step.schedule_to_close,
        retry_policy=step.retry,
    )
    return result


# One attempt: retries go through the server (execute), where operators see them.
_ONCE = RetryPolicy(maximum_attempts=1)


def _activity_error(activity: ActivityRef[Any, Any]) -> ActivityError:
    """A local activity's failure reaches the workflow unwrapped; its callers handle
    activity failures as an ActivityError whose cause is the activity's own error."""
    return ActivityError(
        f"{activity.name} failed",
        scheduled_event_id=0,
        started_event_id=0,
        identity="",
        activity_type=activity.name,
        activity_id="",
        retry_state=RetryState.NON_RETRYABLE_FAILURE,
    )


async def execute_local_first(activity: ActivityRef[In, Out], arg: In, step: Step) -> Out:
    """The first attempt as a local activity; if it fails and may be retried, the step
    again as a regular activity under its full policy, the one the history and the UI
    show. A business failure (non-retryable) is final, as it would have been through
    the server. Activities are idempotent, so an attempt that did its work but lost
    its answer (a timeout, a worker crash) is harmless to repeat."""
    try:
        result: Out = await workflow.execute_local_activity(
            activity.name,
            arg,
            result_type=activity.result_type,
            start_to_close_timeout=step.start_to_close,
            retry_policy=_ONCE,
        )
        return result
    except CancelledError:
        raise
    except FailureError as error:
        if isinstance(error, ApplicationError) and error.non_retryable:
            raise _activity_error(activity) from error
        workflow.logger.info(
            "first attempt in the worker failed; the step goes on through the server",
            extra={"step": activity.name, "cause": str(error)},
        )
    return await execute(activity, arg, step)


# Our own database. A failover, a maintenance window or a full disk can last
# hours: keep trying for a week, never more than two minutes apart, so payments
# resume within two minutes of the database coming back. The attempt count shows
# in the Temporal UI (pending activity), the payment API and the worker's metrics.
DATABASE = Step(
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=2),
    ),
    # Also how long a crashed worker's attempt blocks the retry: keep it short. The
    # worker's connection-pool wait (MOOTAFLOW_DATABASE_POOL_TIMEOUT_SECONDS) must be
    # shorter, so an attempt queued for a connection fails and backs off instead of
    # timing out while its retry piles on top. (settle_payment also renders the
    # invoice in its transaction: milliseconds; cut short, all of it is rolled back.)
    start_to_close=timedelta(seconds=10),
    schedule_to_close=timedelta(days=7),
    local_first=True,
)

# Rendering and storing the PDF: database-bound plus a little CPU.
INVOICE = Step(
    retry=DATABASE.retry,
    start_to_close=timedelta(seconds=30),
    schedule_to_close=DATABASE.schedule_to_close,
    local_first=True,
)

# A mail server or a merchant's system can be down for hours: keep trying with
# growing pauses for up to three days, then give up visibly.
NOTIFICATION = Step(
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=2),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=10),
    ),
    # Above the SMTP client's 30 s and the callback's 15 s timeouts.
    start_to_close=timedelta(seconds=40),
    schedule_to_close=timedelta(days=3),
    local_first=True,
)

# Reminders to finance run beside the wait for a decision: a first attempt in the
# worker would hold back the decision for as long as the mail server takes.
FINANCE_NOTICE = replace(NOTIFICATION, local_first=False)

# The daily audit purge deletes in committed batches, so an attempt cut short
# (timeout, worker shutdown) keeps its progress and the next one continues.
RETENTION = Step(
    retry=DATABASE.retry,
    start_to_close=timedelta(seconds=45),
    schedule_to_close=timedelta(hours=20),
)

# Reading Moota's API for reconciliation (bank list, one page of mutations). 429
# and 5xx are retried here rather than inside the API client (the activities use
# one without retries of its own), so every attempt shows in the history, and a
# Retry-After from Moota sets the next attempt's delay (ApplicationError's
# next_retry_delay). A bad token is a non-retryable error. A pass that cannot
# finish within the hour fails visibly; the next scheduled pass resumes it from
# the page saved last.
MOOTA_API = Step(
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=2),
    ),
    # Above the client's 20 s read timeout, plus saving the page and starting its
    # payments' workflows; below the worker's graceful shutdown (60 s).
    start_to_close=timedelta(seconds=50),
    schedule_to_close=timedelta(hours=1),
)

# Notes and tags written back to Moota: nobody waits for them, so a Moota outage
# of hours only delays them; bounded by time (3 days, like notifications), with
# pauses growing to half an hour so a long outage costs few calls.
WRITE_BACK = Step(
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=5),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=30),
    ),
    # A note, the tag list, tag creation, attach and detach: a few API calls, each
    # usually quick; an attempt cut short by Moota's slowness is simply retried.
    # Below the worker's graceful shutdown (60 s).
    start_to_close=timedelta(seconds=50),
    schedule_to_close=timedelta(days=3),
)

# A reconcile pass's own bookkeeping: begun, and finished (which may also start
# payments an earlier page could not, hence the longer attempt). Bounded like the
# pass itself: a pass that cannot get there fails visibly and the next one resumes.
RECONCILE_DATABASE = Step(
    retry=DATABASE.retry,
    start_to_close=DATABASE.start_to_close,
    schedule_to_close=MOOTA_API.schedule_to_close,
)
RECONCILE_FINISH = Step(
    retry=DATABASE.retry,
    start_to_close=MOOTA_API.start_to_close,
    schedule_to_close=MOOTA_API.schedule_to_close,
)

# Bounds on whole scheduled runs. Both schedules skip an action while the last one
# runs, so a run that can never end (its task queue renamed by a deploy while it
# waited: no worker polls it) would skip every later one. A retention run ends
# within a day, before the next; its purge step's 20 hours fit inside.
RETENTION_RUN = timedelta(hours=23)
# A reconcile run cut short loses nothing: the next resumes each pass at the page
# saved last. Six hours covers several accounts' passes of an hour each.
RECONCILE_RUN = timedelta(hours=6)

ALL = (
    DATABASE,
    INVOICE,
    NOTIFICATION,
    FINANCE_NOTICE,
    RETENTION,
    MOOTA_API,
    WRITE_BACK,
    RECONCILE_DATABASE,
    RECONCILE_FINISH,
)


def longest_attempt() -> timedelta:
    """The longest any single activity attempt may run: a worker shutting down
    gracefully must wait at least this long for running attempts to finish."""
    return max(step.start_to_close for step in ALL)
