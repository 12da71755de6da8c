"""GET /api/payments/{mutation_id} and GET /api/invoices/{number}.pdf."""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mootaflow.receiver.auth import require_reader
from mootaflow.receiver.errors import ApiError
from mootaflow.receiver.views import payment_view
from mootaflow.store import invoices, notifications, payments
from mootaflow.store.db import Sessions


async def show_payment(request: Request) -> Response:
    if (refused := require_reader(request)) is not None:
        return refused
    sessions: Sessions = request.app.state.sessions
    mutation_id = request.path_params["mutation_id"]
    async with sessions() as session:
        payment = await payments.get_payment(session, mutation_id)
        if payment is None:
            return ApiError(404, "not_found", f"no payment for mutation {mutation_id}").response()
        invoice = await invoices.invoice_for_mutation(session, mutation_id)
        sent = await notifications.for_mutation(session, mutation_id)
    return JSONResponse(payment_view(payment, invoice, sent))


async def invoice_pdf(request: Request) -> Response:
    if (refused := require_reader(request)) is not None:
        return refused
    sessions: Sessions = request.app.state.sessions
    number = request.path_params["number"]
    async with sessions() as session:
        invoice = await invoices.get_invoice(session, number)
    if invoice is None or invoice.pdf is None:
        return ApiError(404, "not_found", f"no invoice {number}").response()
    return Response(
        invoice.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{number}.pdf"'},
    )
