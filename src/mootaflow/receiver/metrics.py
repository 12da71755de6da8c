"""Prometheus metrics of the receiver, served at /metrics."""

import asyncio

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response

from mootaflow.domain.payments import PaymentStatus
from mootaflow.receiver.state import app_state
from mootaflow.store import payments
from mootaflow.store.db import Sessions, reading

DELIVERIES = Counter("mootaflow_webhook_deliveries", "Webhook requests by verdict.", ["verdict"])
MUTATIONS = Counter(
    "mootaflow_webhook_mutations",
    "Mutations in accepted deliveries by outcome (new, duplicate, quarantined).",
    ["outcome"],
)
ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
ACK_SECONDS = Histogram(
    "mootaflow_webhook_ack_seconds",
    "Time from request start to the acknowledgement of an accepted delivery.",
    buckets=ACK_BUCKETS,
)
PART_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1, 5)
# What an acknowledgement waits for: its inbox transaction, in three parts. `commit`
# is where the disk's sync shows (README, Benchmarks: the ack's tail under load).
INBOX_TRANSACTION_SECONDS = Histogram(
    "mootaflow_inbox_transaction_seconds",
    "The webhook's inbox transactions by part: begin (hand-over and BEGIN, with any "
    "wait for the write lock), statements, commit (COMMIT, with the disk's sync).",
    ["part"],
    buckets=PART_BUCKETS,
)
WORKFLOW_STARTS = Counter(
    "mootaflow_workflow_starts",
    "Workflow start attempts by result (started, already_started, failed).",
    ["result"],
)
REDRIVE_BACKLOG = Gauge(
    "mootaflow_redrive_backlog", "Inbox rows acknowledged but not yet started in Temporal."
)


PAYMENTS_WAITING = Gauge(
    "mootaflow_payments_waiting",
    "Payments waiting for finance, by status (awaiting_approval, unresolved); read at scrape.",
    ["status"],
)
_WAITING = (PaymentStatus.AWAITING_APPROVAL, PaymentStatus.UNRESOLVED)
_COUNT_TIMEOUT = 2.0


async def metrics(request: Request) -> Response:
    sessions: Sessions = app_state(request)["sessions"]
    try:
        async with asyncio.timeout(_COUNT_TIMEOUT), reading(sessions) as session:
            counts = await payments.count_by_status(session, _WAITING)
    except (TimeoutError, SQLAlchemyError, OSError):
        pass  # the database is away: the other metrics still matter, keep the last counts
    else:
        for status, count in counts.items():
            PAYMENTS_WAITING.labels(status).set(count)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
