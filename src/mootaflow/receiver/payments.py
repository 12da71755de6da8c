"""GET /api/payments/{mutation_id} and GET /api/invoices/{number}.pdf."""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mootaflow.domain.errors import NotFound
from mootaflow.receiver.auth import require_reader
from mootaflow.receiver.context import reads_of, sessions_of, temporal_of
from mootaflow.receiver.progress import workflow_progress
from mootaflow.services.payments import payment_details
from mootaflow.store import invoices


async def show_payment(request: Request) -> Response:
    require_reader(request)
    view = await payment_details(reads_of(request), request.path_params["mutation_id"])
    # Where its workflow stands, e.g. a step on its 40th attempt while the database
    # is down: what the Temporal UI shows under Pending Activities.
    view["workflow"] = await workflow_progress(temporal_of(request).get, view["workflow_id"])
    return JSONResponse(view)


async def invoice_pdf(request: Request) -> Response:
    require_reader(request)
    number = request.path_params["number"]
    async with sessions_of(request)() as session:
        invoice = await invoices.get_invoice(session, number)
    if invoice is None or invoice.pdf is None:
        raise NotFound("not_found", f"no invoice {number}")
    return Response(
        invoice.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{number}.pdf"'},
    )
