"""Finance API: list payments by status, approve or reject flagged ones.

A decision is answered with its outcome: 200 with the payment as it now is
(booked with its invoice, or rejected), 409/422 with the reason it was refused,
503 with Retry-After when no worker took it in time (then it is not applied).
"""

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mootaflow.domain.payments import PaymentStatus
from mootaflow.receiver.auth import require_finance
from mootaflow.receiver.decisions import submit_decision
from mootaflow.receiver.errors import ApiError, json_object
from mootaflow.receiver.payments import payment_details
from mootaflow.receiver.state import app_state
from mootaflow.receiver.views import payment_view
from mootaflow.store import payments
from mootaflow.store.db import Sessions, reading

STATUSES = tuple(PaymentStatus)


async def list_payments(request: Request) -> Response:
    who = require_finance(request)
    if not isinstance(who, str):
        return who
    status = request.query_params.get("status", PaymentStatus.AWAITING_APPROVAL)
    if status not in STATUSES:
        detail = f"status must be one of {', '.join(STATUSES)}"
        return ApiError(400, "bad_status", detail).response()
    sessions: Sessions = app_state(request)["sessions"]
    async with reading(sessions) as session:
        rows = await payments.by_status(session, status)
    now = datetime.now(UTC)
    listed = [
        {**payment_view(p, None, []), "age_seconds": int((now - p.recorded_at).total_seconds())}
        for p in rows
    ]
    return JSONResponse({"status": status, "count": len(listed), "payments": listed})


async def approve(request: Request) -> Response:
    return await _decide(request, "approve")


async def reject(request: Request) -> Response:
    return await _decide(request, "reject")


async def _decide(request: Request, kind: Literal["approve", "reject"]) -> Response:
    who = require_finance(request)
    if not isinstance(who, str):
        return who
    try:
        body = await json_object(request)
        if kind == "approve":
            order_ref = _optional_text(body, "order_ref")
            text = _optional_text(body, "note") or ""
        else:
            order_ref = None
            text = _optional_text(body, "reason") or ""
            if not text:
                raise ApiError(422, "invalid_decision", "'reason' is required to reject")
        mutation_id = request.path_params["mutation_id"]
        sessions: Sessions = app_state(request)["sessions"]
        try:
            client = await app_state(request)["temporal"].get()
        except Exception as exc:
            raise ApiError(
                503, "unavailable", f"could not reach Temporal: {exc}", headers={"Retry-After": "5"}
            ) from None
        answer = await submit_decision(
            sessions,
            client,
            app_state(request)["settings"],
            kind,
            mutation_id,
            who,
            order_ref=order_ref,
            text=text,
        )
    except ApiError as error:
        return error.response()
    payment = await payment_details(sessions, mutation_id)
    if answer.outcome is None:
        # Taken by the workflow, which is still booking it: durable, it will complete.
        body = {"result": "accepted", "workflow_id": answer.workflow_id, "payment": payment}
        return JSONResponse(body, status_code=202)
    outcome = asdict(answer.outcome)
    return JSONResponse({**outcome, "workflow_id": answer.workflow_id, "payment": payment})


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 500 or "\x00" in value:
        raise ApiError(
            422, "invalid_decision", f"'{name}' must be a string of at most 500 characters"
        )
    return value.strip()
