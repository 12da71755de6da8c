"""The receiver application: routes, and the lifespan that owns database and starter."""

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.client import Client

from mootaflow.domain.settings import Settings
from mootaflow.receiver.check import check_client, check_order
from mootaflow.receiver.finance import approve, list_payments, reject
from mootaflow.receiver.health import healthz, readyz
from mootaflow.receiver.inbox_writer import InboxWriter
from mootaflow.receiver.metrics import metrics
from mootaflow.receiver.orders import create_order, show_order
from mootaflow.receiver.payments import invoice_pdf, show_payment
from mootaflow.receiver.ratelimit import RateLimitMiddleware
from mootaflow.receiver.starter import WorkflowStarter
from mootaflow.receiver.webhook import moota_webhook
from mootaflow.store.db import open_database, session_factory
from mootaflow.workflows.temporal import connect


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_database(settings.database_url) as engine:
            sessions = session_factory(engine)

            async def connect_temporal() -> Client:
                return await connect(settings)

            starter = WorkflowStarter(settings, sessions, connect_temporal)
            writer = InboxWriter(sessions)
            moota = check_client(settings)
            app.state.moota = moota
            app.state.settings = settings
            app.state.engine = engine
            app.state.sessions = sessions
            app.state.starter = starter
            app.state.inbox_writer = writer
            await writer.start()
            await starter.start()
            # Rows a previous process acknowledged but never started go first.
            starter.redrive_soon()
            try:
                yield
            finally:
                await starter.stop()
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
            Route("/api/invoices/{number}.pdf", invoice_pdf, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        middleware=[Middleware(RateLimitMiddleware, settings=settings)],
        exception_handlers={404: _not_found, 405: _method_not_allowed},
        lifespan=lifespan,
    )


async def _not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "not_found", "detail": f"no route {request.url.path}"}, 404)


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {"error": "method_not_allowed", "detail": f"{request.method} is not allowed here"},
        405,
        headers=getattr(exc, "headers", None),
    )
