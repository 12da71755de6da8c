"""API credentials: merchant API keys, compared in constant time."""

import hmac
from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mootaflow.domain.settings import Settings
from mootaflow.receiver.state import app_state


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


def require_api_key(request: Request) -> Response | None:
    """None when the request carries a valid merchant API key, else the 401 to send."""
    presented = presented_key(request)
    if presented is None:
        return _unauthorized("missing API key: send Authorization: Bearer <key>")
    if not key_matches(presented, app_state(request)["settings"].effective_api_keys):
        return _unauthorized("invalid API key")
    return None


def require_finance(request: Request) -> str | Response:
    """The finance person's name for a valid finance token, else the 401/403 to send."""
    presented = presented_key(request)
    if presented is None:
        return _unauthorized("missing finance token: send Authorization: Bearer <token>")
    settings: Settings = app_state(request)["settings"]
    names = settings.finance_token_names
    given = presented.encode("latin-1", errors="replace")
    # Check every token (no early exit) so timing does not reveal a near match.
    matched = [name for token, name in names.items() if hmac.compare_digest(given, token.encode())]
    if matched:
        return matched[0]
    if key_matches(presented, settings.effective_api_keys):
        return JSONResponse(
            {
                "error": "forbidden",
                "detail": "a merchant API key cannot do this; use a finance token",
            },
            status_code=403,
        )
    return _unauthorized("invalid finance token")


def require_reader(request: Request) -> Response | None:
    """Read access: a merchant API key or a finance token."""
    refused = require_api_key(request)
    if refused is None:
        return None
    finance = require_finance(request)
    return None if isinstance(finance, str) else refused


def _unauthorized(detail: str) -> Response:
    return JSONResponse(
        {"error": "unauthorized", "detail": detail},
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )
