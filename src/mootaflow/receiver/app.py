"""The receiver application: routes, and the lifespan that owns the database, the Temporal
client, the inbox writer and the workflow starts."""

import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.client import Client

from mootaflow.domain.errors import ServiceError, Unavailable
from mootaflow.domain.settings import Settings
from mootaflow.receiver.check import check_order
from mootaflow.receiver.console import console_error, console_not_found, console_routes, is_console
from mootaflow.receiver.errors import json_error
from mootaflow.receiver.finance import (
    approve,
    list_decisions,
    list_payments,
    list_quarantined,
    list_refunds,
    mark_refund_paid,
    reject,
)
from mootaflow.receiver.health import healthz, readyz
from mootaflow.receiver.inbox_writer import InboxWriter
from mootaflow.receiver.metrics import metrics
from mootaflow.receiver.orders import create_order, show_order
from mootaflow.receiver.payments import invoice_pdf, show_payment
from mootaflow.receiver.ratelimit import RateLimitMiddleware
from mootaflow.receiver.redrive import Redrive
from mootaflow.receiver.reports import daily, payments_csv
from mootaflow.receiver.start_pool import StartPool
from mootaflow.receiver.state import AppState
from mootaflow.receiver.webhook import moota_webhook
from mootaflow.services.checks import check_client
from mootaflow.store.databases import open_databases
from mootaflow.store.db import PoolLimits, describe_error
from mootaflow.temporal.client import LazyClient, connect

log = logging.getLogger("mootaflow.receiver")


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[AppState]:
        async with open_databases(settings, PoolLimits.of(settings)) as databases:

            async def connect_temporal() -> Client:
                return await connect(settings)

            temporal = LazyClient(connect_temporal)
            # The receiving side (inbox writer, starts, redrive) uses the inbox database:
            # its write lock is one no worker step takes (store/databases.py).
            starts = StartPool(settings, databases.inbox_calls, temporal)
            redrive = Redrive(settings, databases.inbox, temporal, starts)
            writer = InboxWriter(databases.inbox_calls)
            moota = check_client(settings)
            await writer.start()
            starts.start()
            redrive.start()
            try:
                yield AppState(
                    settings=settings,
                    databases=databases,
                    sessions=databases.sessions,
                    temporal=temporal,
                    inbox_writer=writer,
                    starts=starts,
                    redrive=redrive,
                    moota=moota,
                )
            finally:
                await redrive.stop()
                await starts.stop()
                await writer.stop()
                if moota is not None:
                    await moota.aclose()

    return Starlette(
        routes=[
            Route("/webhooks/moota", moota_webhook, methods=["POST"]),
            Route("/api/orders", create_order, methods=["POST"]),
            Route("/api/orders/{ref}", show_order, methods=["GET"]),
            Route("/api/orders/{ref}/check", check_order, methods=["POST"]),
            Route("/api/payments", list_payments, methods=["GET"]),
            Route("/api/payments/{mutation_id}", show_payment, methods=["GET"]),
            Route("/api/payments/{mutation_id}/approve", approve, methods=["POST"]),
            Route("/api/payments/{mutation_id}/reject", reject, methods=["POST"]),
            Route("/api/quarantined", list_quarantined, methods=["GET"]),
            Route("/api/decisions", list_decisions, methods=["GET"]),
            Route("/api/refunds", list_refunds, methods=["GET"]),
            Route("/api/refunds/{refund_id}/paid", mark_refund_paid, methods=["POST"]),
            Route("/api/reports/payments.csv", payments_csv, methods=["GET"]),
            Route("/api/reports/daily", daily, methods=["GET"]),
            Route("/api/invoices/{number}.pdf", invoice_pdf, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            *console_routes(),
        ],
        middleware=[Middleware(RateLimitMiddleware, settings=settings)],
        exception_handlers={
            ServiceError: _service_error,
            # The database busy past its lock timeout, or down: try again, never a 500.
            OperationalError: _database_unavailable,
            PoolTimeout: _database_unavailable,
            404: _not_found,
            405: _method_not_allowed,
        },
        lifespan=lifespan,
    )


async def _service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    if is_console(request):
        return await console_error(request, exc)
    return json_error(exc)


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SQLAlchemyError)
    detail = describe_error(exc)
    log.warning("database unavailable", extra={"path": request.url.path, "error": detail})
    return await _service_error(request, Unavailable("database_unavailable", detail))


async def _not_found(request: Request, exc: Exception) -> Response:
    if is_console(request):
        return await console_not_found(request)
    return JSONResponse({"error": "not_found", "detail": f"no route {request.url.path}"}, 404)


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {"error": "method_not_allowed", "detail": f"{request.method} is not allowed here"},
        405,
        headers=getattr(exc, "headers", None),
    )
