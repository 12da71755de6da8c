"""Finance API: list payments (paged, searchable), quarantined items and decisions;
approve or reject flagged payments; refunds due, and recording them paid.

A decision is answered with its outcome: 200 with the payment as it now is
(booked with its invoice, or rejected), 409/422 with the reason it was refused,
503 with Retry-After when no worker took it in time (then it is not applied).
"""

from dataclasses import asdict
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mootaflow.domain.errors import NotFound
from mootaflow.domain.paging import Page, PageRequest
from mootaflow.receiver.auth import require_finance
from mootaflow.receiver.body import json_object
from mootaflow.receiver.context import (
    inbox_sessions_of,
    reads_of,
    sessions_of,
    settings_of,
    temporal_client,
)
from mootaflow.services import params, refunds
from mootaflow.services import payments as payment_service
from mootaflow.services.decisions import decision_text, reject_reason, submit_decision


def paged(name: str, page: Page[Any], **fields: Any) -> dict[str, Any]:
    """A page of a list as the API answers it: never cut without saying so."""
    return {
        **fields,
        "count": len(page.items),
        name: page.items,
        "has_more": page.has_more,
        "next_cursor": page.cursor,
    }


async def list_payments(request: Request) -> Response:
    require_finance(request)
    query = request.query_params
    where = params.payment_filter(query, default_status="awaiting_approval")
    page = await payment_service.list_payments(sessions_of(request), where, PageRequest.of(query))
    status = query.get("status") or "awaiting_approval"
    return JSONResponse(paged("payments", page, status=status))


async def list_quarantined(request: Request) -> Response:
    require_finance(request)
    page = await payment_service.quarantined(
        inbox_sessions_of(request), PageRequest.of(request.query_params)
    )
    return JSONResponse(paged("quarantined", page))


async def list_decisions(request: Request) -> Response:
    require_finance(request)
    page = await payment_service.decisions(
        sessions_of(request), PageRequest.of(request.query_params)
    )
    return JSONResponse(paged("decisions", page))


async def approve(request: Request) -> Response:
    return await _decide(request, "approve")


async def reject(request: Request) -> Response:
    return await _decide(request, "reject")


async def _decide(request: Request, kind: Literal["approve", "reject"]) -> Response:
    who = require_finance(request)
    body = await json_object(request)
    difference, allocations = None, None
    if kind == "approve":
        order_ref = decision_text("order_ref", body.get("order_ref"))
        text = decision_text("note", body.get("note")) or ""
        # Checked by the decision's reader: a precise 422 for anything malformed.
        difference, allocations = body.get("difference"), body.get("allocations")
    else:
        order_ref = None
        text = reject_reason(body.get("reason"))
    mutation_id = request.path_params["mutation_id"]
    reads = reads_of(request)
    client = await temporal_client(request)
    answer = await submit_decision(
        reads,
        client,
        settings_of(request),
        kind,
        mutation_id,
        who,
        order_ref=order_ref,
        text=text,
        difference=difference,
        allocations=allocations,
    )
    payment = await payment_service.payment_details(reads, mutation_id)
    if answer.outcome is None:
        # Taken by the workflow, which is still booking it: durable, it will complete.
        body = {"result": "accepted", "workflow_id": answer.workflow_id, "payment": payment}
        return JSONResponse(body, status_code=202)
    outcome = asdict(answer.outcome)
    return JSONResponse({**outcome, "workflow_id": answer.workflow_id, "payment": payment})


async def list_refunds(request: Request) -> Response:
    require_finance(request)
    query = request.query_params
    status = refunds.refund_status(query.get("status"))
    page = await refunds.list_refunds(sessions_of(request), status, PageRequest.of(query))
    items = [view.as_dict() for view in page.items]
    return JSONResponse(paged("refunds", Page(items, page.next), status=status or "all"))


async def mark_refund_paid(request: Request) -> Response:
    who = require_finance(request)
    body = await json_object(request)
    raw = request.path_params["refund_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound("not_found", f"no refund {raw}")
    refund, changed = await refunds.mark_paid(
        sessions_of(request), int(raw), body.get("reference"), who
    )
    fields = ("id", "status", "amount", "paid_reference", "paid_by")
    answer = {name: getattr(refund, name) for name in fields}
    answer["amount"] = str(refund.amount)
    return JSONResponse({**answer, "changed": changed})
