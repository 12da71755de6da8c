"""The finance console at /finance: server-rendered pages and plain forms for the
people who decide flagged payments. Signed in with a finance token; the session
is a signed cookie (see session.py)."""

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from mootaflow.domain.errors import NotFound, ServiceError, Unauthenticated
from mootaflow.receiver.console import actions, pages
from mootaflow.receiver.console.render import page, redirect
from mootaflow.receiver.console.session import ConsoleSession, SessionExpired, current_session
from mootaflow.receiver.errors import headers_of, status_of

PREFIX = "/finance"


def console_routes() -> list[BaseRoute]:
    return [
        Mount(
            PREFIX,
            routes=[
                Route("/", pages.home, methods=["GET"]),
                Route("/signin", actions.signin_form, methods=["GET"]),
                Route("/signin", actions.signin, methods=["POST"]),
                Route("/signout", actions.signout, methods=["POST"]),
                Route("/queue", pages.queue, methods=["GET"]),
                Route("/unresolved", pages.unresolved, methods=["GET"]),
                Route("/search", pages.search, methods=["GET"]),
                Route("/export.csv", pages.export_csv, methods=["GET"]),
                Route("/daily", pages.daily, methods=["GET"]),
                Route("/decisions", pages.decisions, methods=["GET"]),
                Route("/quarantined", pages.quarantined, methods=["GET"]),
                Route("/refunds", pages.refund_list, methods=["GET"]),
                Route("/refunds/{refund_id}/paid", actions.refund_paid, methods=["POST"]),
                Route("/payments/{mutation_id}", pages.payment, methods=["GET"]),
                Route("/payments/{mutation_id}/approve", actions.approve, methods=["POST"]),
                Route("/payments/{mutation_id}/reject", actions.reject, methods=["POST"]),
                Route("/invoices/{number}.pdf", pages.invoice_pdf, methods=["GET"]),
                Mount(
                    "/static",
                    StaticFiles(packages=[("mootaflow.receiver.console", "static")]),
                    name="console-static",
                ),
            ],
        )
    ]


def is_console(request: Request) -> bool:
    return request.url.path == PREFIX or request.url.path.startswith(f"{PREFIX}/")


async def console_error(request: Request, error: ServiceError) -> Response:
    """A refusal as a page. A page asked for without a session leads to sign-in."""
    if isinstance(error, Unauthenticated) and request.method in ("GET", "HEAD"):
        why = "expired" if isinstance(error, SessionExpired) else "required"
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(f"{PREFIX}/signin?why={why}&next={quote(wanted, safe='')}")
    session: ConsoleSession | None
    try:
        session = current_session(request)
    except ServiceError:
        session = None
    response = page(
        request,
        "error.html",
        session=session,
        status_code=status_of(error),
        code=error.code,
        detail=error.detail,
    )
    for name, value in headers_of(error).items():
        if name != "WWW-Authenticate":  # cookies, not HTTP auth, sign in here
            response.headers[name] = value
    return response


async def console_not_found(request: Request) -> Response:
    return await console_error(request, NotFound("not_found", f"no page {request.url.path}"))
