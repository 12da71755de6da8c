"""Rendering console pages: Jinja2 templates shipped in the package (autoescaped),
with the words of the configured language and headers that keep pages private."""

from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from mootaflow.domain.money import format_rupiah
from mootaflow.receiver.console.i18n import Words
from mootaflow.receiver.console.session import FLASH_COOKIE, PATH, ConsoleSession, read_flash
from mootaflow.receiver.context import settings_of

_TEMPLATES = Path(__file__).parent / "templates"

# Pages are the console's own: no scripts, styles only from our stylesheet, forms
# only to us, never framed. Finance data is not cached by browsers or proxies.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _rupiah(amount: Decimal | int | None) -> str:
    return "-" if amount is None else format_rupiah(Decimal(amount))


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["rupiah"] = _rupiah
    env.globals["query"] = lambda **values: urlencode(
        {k: v for k, v in values.items() if v not in (None, "")}
    )
    return env


ENVIRONMENT = _environment()


def page(
    request: Request,
    template: str,
    *,
    session: ConsoleSession | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    settings = settings_of(request)
    words = Words(settings.language)
    flash = read_flash(request)
    html = ENVIRONMENT.get_template(template).render(
        t=words,
        lang=words.language,
        session=session,
        flash=flash,
        path=request.url.path,
        status_code=status_code,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code, headers=HEADERS)
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path=PATH)
    return response


def redirect(location: str) -> Response:
    return RedirectResponse(location, status_code=303, headers=HEADERS)


def local_path(candidate: str | None, default: str = f"{PATH}/queue") -> str:
    """Only our own pages as a place to go back to (no open redirect)."""
    if (
        candidate
        and candidate.startswith(f"{PATH}/")
        and "//" not in candidate
        and "\\" not in candidate
        and candidate.isprintable()
    ):
        return candidate
    return default
