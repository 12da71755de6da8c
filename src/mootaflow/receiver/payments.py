"""GET /api/payments/{mutation_id} and GET /api/invoices/{number}.pdf."""

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mootaflow.receiver.auth import require_reader
from mootaflow.receiver.errors import ApiError
from mootaflow.receiver.progress import workflow_progress
from mootaflow.receiver.state import app_state
from mootaflow.receiver.views import payment_view
from mootaflow.store import invoices, notifications, payments
from mootaflow.store.db import Sessions, reading


async def show_payment(request: Request) -> Response:
    if (refused := require_reader(request)) is not None:
        return refused
    sessions: Sessions = app_state(request)["sessions"]
    mutation_id = request.path_params["mutation_id"]
    view = await payment_details(sessions, mutation_id)
    if view is None:
        return ApiError(404, "not_found", f"no payment for mutation {mutation_id}").response()
    # Where its workflow stands, e.g. a step on its 40th attempt while the database
    # is down: what the Temporal UI shows under Pending Activities.
    view["workflow"] = await workflow_progress(
        app_state(request)["temporal"].get, view["workflow_id"]
    )
    return JSONResponse(view)


async def payment_details(sessions: Sessions, mutation_id: str) -> dict[str, Any] | None:
    """The payment with its invoice, notifications, decision and re-sends."""
    async with reading(sessions) as session:
        payment = await payments.get_payment(session, mutation_id)
        if payment is None:
            return None
        invoice = await invoices.invoice_for_mutation(session, mutation_id)
        sent = await notifications.for_mutation(session, mutation_id)
        decision = await payments.get_decision(session, mutation_id)
        resends = await payments.resends(session, mutation_id)
    return payment_view(payment, invoice, sent, decision, resends)


async def invoice_pdf(request: Request) -> Response:
    if (refused := require_reader(request)) is not None:
        return refused
    sessions: Sessions = app_state(request)["sessions"]
    number = request.path_params["number"]
    async with reading(sessions) as session:
        invoice = await invoices.get_invoice(session, number)
    if invoice is None or invoice.pdf is None:
        return ApiError(404, "not_found", f"no invoice {number}").response()
    return Response(
        invoice.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{number}.pdf"'},
    )
