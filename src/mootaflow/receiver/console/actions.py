"""The console's forms (POST): sign in, sign out, approve, reject.

A decision goes through the same service as the API and the CLI and waits for the
workflow's answer; the page it returns to shows that answer at once (booked with
its invoice, rejected, or why not).
"""

import asyncio
from typing import Literal

from starlette.requests import Request
from starlette.responses import Response

from mootaflow.domain.errors import Forbidden, NotFound, ServiceError, Unauthenticated
from mootaflow.receiver.auth import check_finance_token
from mootaflow.receiver.body import form_fields
from mootaflow.receiver.console.i18n import Words
from mootaflow.receiver.console.render import local_path, page, redirect
from mootaflow.receiver.console.session import (
    check_csrf,
    check_signin_csrf,
    close_session,
    current_session,
    open_session,
    remember_signin_token,
    set_flash,
    signin_token,
)
from mootaflow.receiver.context import reads_of, sessions_of, settings_of, temporal_client
from mootaflow.services import refunds
from mootaflow.services.decisions import decision_text, reject_reason, submit_decision

# A wrong token costs the guesser this long (on top of the rate limit on /finance/signin).
_FAILED_SIGNIN_DELAY = 0.5

_SIGNIN_MESSAGES = {
    "en": {
        "expired": "Your session has ended. Sign in again.",
        "required": "Sign in with your finance token.",
        "signed_out": "Signed out.",
    },
    "id": {
        "expired": "Sesi Anda sudah berakhir. Silakan masuk lagi.",
        "required": "Masuk dengan token keuangan Anda.",
        "signed_out": "Anda sudah keluar.",
    },
}


async def signin_form(request: Request) -> Response:
    words = Words(settings_of(request).language)
    token, new = signin_token(request)
    response = page(
        request,
        "signin.html",
        session=None,
        csrf=token,
        next=local_path(request.query_params.get("next")),
        message=_SIGNIN_MESSAGES[words.language].get(request.query_params.get("why", ""), ""),
    )
    if new:
        # The form's CSRF token lives in a signed cookie set with the form.
        remember_signin_token(response, settings_of(request), token)
    return response


async def signin(request: Request) -> Response:
    settings = settings_of(request)
    fields = await form_fields(request)
    check_signin_csrf(request, fields)
    next_path = local_path(fields.get("next"))
    token = fields.get("token", "").strip()
    try:
        name = check_finance_token(settings, token) if token else None
        if name is None:
            raise Unauthenticated("unauthorized", "enter your finance token")
    except (Unauthenticated, Forbidden) as refused:
        await asyncio.sleep(_FAILED_SIGNIN_DELAY)
        status = 403 if isinstance(refused, Forbidden) else 401
        return page(
            request,
            "signin.html",
            session=None,
            status_code=status,
            csrf=fields.get("csrf", ""),
            next=next_path,
            message=str(refused.detail),
        )
    response = redirect(next_path)
    open_session(response, settings, name, token)
    return response


async def signout(request: Request) -> Response:
    session = current_session(request)
    check_csrf(session, await form_fields(request))
    response = redirect("/finance/signin?why=signed_out")
    close_session(response)
    return response


async def approve(request: Request) -> Response:
    return await _decide(request, "approve")


async def reject(request: Request) -> Response:
    return await _decide(request, "reject")


async def _decide(request: Request, kind: Literal["approve", "reject"]) -> Response:
    session = current_session(request)
    fields = await form_fields(request)
    check_csrf(session, fields)
    settings = settings_of(request)
    words = Words(settings.language)
    mutation_id = request.path_params["mutation_id"]
    back = local_path(fields.get("back"))
    response = redirect(back)
    try:
        if kind == "approve":
            # A typed reference wins over the chosen one: the clerk typed it on purpose.
            order_ref = decision_text("order_ref", fields.get("order_other")) or decision_text(
                "order_ref", fields.get("order_ref")
            )
            text = decision_text("note", fields.get("note")) or ""
            difference = fields.get("difference") or None
            allocations = allocation_lines(fields.get("allocations"))
        else:
            order_ref, text = None, reject_reason(fields.get("reason"))
            difference, allocations = None, None
        client = await temporal_client(request)
        answer = await submit_decision(
            reads_of(request),
            client,
            settings,
            kind,
            mutation_id,
            session.name,
            order_ref=order_ref,
            text=text,
            difference=difference,
            allocations=allocations,
        )
    except ServiceError as refused:
        set_flash(
            response,
            settings,
            "error",
            words("flash_refused").format(id=mutation_id, why=refused.detail),
        )
        return response
    outcome = answer.outcome
    if outcome is None:
        set_flash(response, settings, "info", words("flash_accepted").format(id=mutation_id))
    elif outcome.result == "booked" and outcome.invoice_number:
        message = words("flash_booked").format(
            id=mutation_id,
            by=session.name,
            order=outcome.order_ref,
            invoice=outcome.invoice_number,
        )
        # What the allocation did (orders paid, refund due, surplus kept).
        set_flash(response, settings, "ok", f"{message} {outcome.detail}".strip())
    elif outcome.result == "booked":
        # Nothing paid in full yet (a part payment): no invoice, what is still owed.
        message = words("flash_booked_detail").format(
            id=mutation_id, by=session.name, detail=outcome.detail
        )
        set_flash(response, settings, "ok", message)
    else:
        message = words("flash_rejected").format(id=mutation_id, by=session.name)
        set_flash(response, settings, "ok", message)
    return response


def allocation_lines(text: str | None) -> list[dict[str, str | None]] | None:
    """ "MF-A=50000, MF-B" as the decision's allocations (checked by its reader)."""
    if not text or not text.strip():
        return None
    lines = []
    for part in text.replace("\n", ",").split(","):
        if part.strip():
            ref, _, amount = part.partition("=")
            lines.append({"order_ref": ref.strip(), "amount": amount.strip() or None})
    return lines


async def refund_paid(request: Request) -> Response:
    session = current_session(request)
    fields = await form_fields(request)
    check_csrf(session, fields)
    settings = settings_of(request)
    words = Words(settings.language)
    response = redirect("/finance/refunds")
    raw = request.path_params["refund_id"]
    try:
        if not raw.isdigit() or len(raw) > 18:
            raise NotFound("not_found", f"no refund {raw}")
        await refunds.mark_paid(
            sessions_of(request), int(raw), fields.get("reference"), session.name
        )
    except ServiceError as refused:
        set_flash(response, settings, "error", refused.detail)
        return response
    set_flash(response, settings, "ok", words("flash_refund_paid").format(id=raw, by=session.name))
    return response
