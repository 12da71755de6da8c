"""API credentials: merchant API keys and finance tokens, compared in constant time.

Each check returns who is asking or raises (Unauthenticated, Forbidden); the app's
exception handler answers. The console's sign-in checks tokens with the same code.
"""

import hmac
from collections.abc import Iterable

from starlette.requests import Request

from mootaflow.domain.errors import Forbidden, Unauthenticated
from mootaflow.domain.settings import Settings
from mootaflow.receiver.context import settings_of


def presented_key(request: Request) -> str | None:
    """The key from `Authorization: Bearer KEY` or `X-API-Key: KEY`."""
    authorization = request.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key") or None


def key_matches(presented: str, keys: Iterable[str]) -> bool:
    given = presented.encode("latin-1", errors="replace")
    matches = [hmac.compare_digest(given, key.encode()) for key in keys]
    return any(matches)


def finance_name(settings: Settings, presented: str) -> str | None:
    """The name of the person a finance token belongs to, or None."""
    given = presented.encode("utf-8", errors="replace")
    # Check every token (no early exit) so timing does not reveal a near match.
    matched = [
        name
        for token, name in settings.finance_token_names.items()
        if hmac.compare_digest(given, token.encode())
    ]
    return matched[0] if matched else None


def check_finance_token(settings: Settings, presented: str) -> str:
    """The finance person's name; Forbidden for a merchant key, else Unauthenticated."""
    if (name := finance_name(settings, presented)) is not None:
        return name
    if key_matches(presented, settings.effective_api_keys):
        raise Forbidden("forbidden", "a merchant API key cannot do this; use a finance token")
    raise Unauthenticated("unauthorized", "invalid finance token")


def require_api_key(request: Request) -> None:
    """A valid merchant API key, or Unauthenticated."""
    presented = presented_key(request)
    if presented is None:
        raise Unauthenticated("unauthorized", "missing API key: send Authorization: Bearer <key>")
    if not key_matches(presented, settings_of(request).effective_api_keys):
        raise Unauthenticated("unauthorized", "invalid API key")


def require_finance(request: Request) -> str:
    """The finance person's name for a valid finance token."""
    presented = presented_key(request)
    if presented is None:
        raise Unauthenticated(
            "unauthorized", "missing finance token: send Authorization: Bearer <token>"
        )
    return check_finance_token(settings_of(request), presented)


def require_reader(request: Request) -> None:
    """Read access: a merchant API key or a finance token."""
    presented = presented_key(request)
    settings = settings_of(request)
    if presented is not None and finance_name(settings, presented) is not None:
        return
    require_api_key(request)
