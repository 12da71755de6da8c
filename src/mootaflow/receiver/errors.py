"""Small JSON error replies, and reading a JSON request body safely."""

import json
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

API_BODY_LIMIT = 64 * 1024


class ApiError(Exception):
    def __init__(
        self,
        status_code: int,
        error: str,
        detail: Any,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status_code, self.error, self.detail = status_code, error, detail
        # More fields of the reply body (e.g. who decided), and reply headers.
        self.extra = extra or {}
        self.headers = headers

    def response(self) -> Response:
        body = {"error": self.error, "detail": self.detail, **self.extra}
        return JSONResponse(body, self.status_code, headers=self.headers)


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or an ApiError saying what is wrong with it."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "content type must be application/json")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > API_BODY_LIMIT:
                raise ApiError(413, "too_large", f"body larger than {API_BODY_LIMIT} bytes")
    except ClientDisconnect:
        raise ApiError(400, "client_disconnected", "client disconnected") from None
    try:
        data = json.loads(bytes(body))
    except (ValueError, RecursionError):
        raise ApiError(400, "bad_json", "body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "body must be a JSON object")
    return data
