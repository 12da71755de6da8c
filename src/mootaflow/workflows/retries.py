"""Every retry policy and activity timeout, in one place, each with its reason.

Business failures (unknown order, a mail server's permanent refusal, a merchant's
4xx other than 408/429) are raised by the activities as non-retryable errors, so
no policy here ever retries them.
"""

from dataclasses import dataclass
from datetime import timedelta

from temporalio.common import RetryPolicy


@dataclass(frozen=True)
class Step:
    retry: RetryPolicy
    start_to_close: timedelta
    schedule_to_close: timedelta | None = None


# Our own database: up within minutes or an operator is already on it. Short,
# bounded, then the workflow shows the failure and can be retried from the UI.
DATABASE = Step(
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=30),
        maximum_attempts=20,
    ),
    # Also how long a crashed worker's attempt blocks the retry: keep it short.
    start_to_close=timedelta(seconds=10),
)

# Rendering and storing the PDF: database-bound plus a little CPU.
INVOICE = Step(
    retry=DATABASE.retry,
    start_to_close=timedelta(seconds=30),
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
    # payments' workflows.
    start_to_close=timedelta(seconds=60),
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
    # A note, the tag list, tag creation, attach and detach: a few API calls of up
    # to 20 s each.
    start_to_close=timedelta(minutes=2),
    schedule_to_close=timedelta(days=3),
)
