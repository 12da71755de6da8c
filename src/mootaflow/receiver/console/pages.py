"""The console's pages (GET): queue, unresolved, search and export, daily summary,
decisions, refunds, quarantined items, a payment with its timeline, its invoice."""

from dataclasses import replace
from datetime import datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from mootaflow.domain import decisions as decision_rules
from mootaflow.domain.errors import NotFound
from mootaflow.domain.moota import JAKARTA
from mootaflow.domain.paging import PageRequest
from mootaflow.domain.payments import PaymentStatus
from mootaflow.receiver.console.render import page, redirect
from mootaflow.receiver.console.session import current_session
from mootaflow.receiver.context import inbox_sessions_of, reads_of, sessions_of, settings_of
from mootaflow.receiver.reports import csv_response, summary_days
from mootaflow.services import params, refunds, reports
from mootaflow.services import payments as payment_service
from mootaflow.store import invoices


async def home(request: Request) -> Response:
    current_session(request)
    return redirect("/finance/queue")


async def queue(request: Request) -> Response:
    return await _waiting(request, (PaymentStatus.AWAITING_APPROVAL,), "queue")


async def unresolved(request: Request) -> Response:
    return await _waiting(request, (PaymentStatus.UNRESOLVED,), "unresolved")


async def _waiting(request: Request, statuses: tuple[str, ...], heading: str) -> Response:
    session = current_session(request)
    sessions = sessions_of(request)
    found = await payment_service.waiting(sessions, statuses, PageRequest.of(request.query_params))
    return page(
        request,
        "waiting.html",
        session=session,
        heading=heading,
        items=found.items,
        next_cursor=found.cursor,
        counts=await payment_service.waiting_counts(sessions),
    )


async def search(request: Request) -> Response:
    session = current_session(request)
    query = {k: v for k, v in request.query_params.items() if k != "cursor" and v}
    rows = next_cursor = None
    if query:
        where = params.payment_filter(request.query_params, default_status=params.ANY_STATUS)
        where = replace(where, newest_first=True)
        found = await payment_service.search(
            sessions_of(request), where, PageRequest.of(request.query_params)
        )
        rows, next_cursor = found.items, found.cursor
    today = datetime.now(JAKARTA).date()
    return page(
        request,
        "search.html",
        session=session,
        q=query,
        rows=rows,
        next_cursor=next_cursor,
        statuses=params.STATUSES,
        export_from=today.replace(day=1).isoformat(),
        export_to=today.isoformat(),
    )


async def export_csv(request: Request) -> Response:
    current_session(request)
    return csv_response(sessions_of(request), request.query_params)


async def daily(request: Request) -> Response:
    session = current_session(request)
    days = summary_days(request.query_params)
    account = params.text(request.query_params.get("account"), "account")
    rows = await reports.daily_summary(sessions_of(request), days, account)
    summary = reports.summary_view(days, account, rows)
    return page(request, "daily.html", session=session, summary=summary)


async def decisions(request: Request) -> Response:
    session = current_session(request)
    found = await payment_service.decision_rows(
        sessions_of(request), PageRequest.of(request.query_params)
    )
    return page(
        request, "decisions.html", session=session, rows=found.items, next_cursor=found.cursor
    )


async def refund_list(request: Request) -> Response:
    session = current_session(request)
    status = refunds.refund_status(request.query_params.get("status"))
    found = await refunds.list_refunds(
        sessions_of(request), status, PageRequest.of(request.query_params)
    )
    return page(
        request,
        "refunds.html",
        session=session,
        rows=[view.as_dict() | {"amount": view.row.amount} for view in found.items],
        status=status or "all",
        next_cursor=found.cursor,
    )


async def quarantined(request: Request) -> Response:
    session = current_session(request)
    found = await payment_service.quarantined_rows(
        inbox_sessions_of(request), PageRequest.of(request.query_params)
    )
    return page(
        request, "quarantined.html", session=session, rows=found.items, next_cursor=found.cursor
    )


async def payment(request: Request) -> Response:
    session = current_session(request)
    sessions = sessions_of(request)
    settings = settings_of(request)
    mutation_id = request.path_params["mutation_id"]
    story = await payment_service.payment_story(reads_of(request), mutation_id)
    waiting = None
    if story.payment.status in decision_rules.DECIDABLE and story.view["decision"] is None:
        waiting = await payment_service.waiting_one(sessions, story.payment)
    temporal_url = None
    if settings.temporal_ui:
        workflow = quote(story.payment.workflow_id, safe="")
        namespace = quote(settings.temporal_namespace, safe="")
        temporal_url = f"{settings.temporal_ui}/namespaces/{namespace}/workflows/{workflow}"
    return page(
        request,
        "payment.html",
        session=session,
        p=story.payment,
        invoice=story.invoice,
        events=story.events,
        waiting=waiting,
        temporal_url=temporal_url,
    )


async def invoice_pdf(request: Request) -> Response:
    current_session(request)
    number = request.path_params["number"]
    async with sessions_of(request)() as db:
        invoice = await invoices.get_invoice(db, number)
    if invoice is None or invoice.pdf is None:
        raise NotFound("not_found", f"no invoice {number}")
    return Response(
        invoice.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{number}.pdf"',
            "Cache-Control": "no-store",
        },
    )
