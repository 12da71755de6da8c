"""API credentials: merchant API keys, compared in constant time."""

import hmac
from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


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
    if not key_matches(presented, request.app.state.settings.effective_api_keys):
        return _unauthorized("invalid API key")
    return None


def _unauthorized(detail: str) -> Response:
    return JSONResponse(
        {"error": "unauthorized", "detail": detail},
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )
