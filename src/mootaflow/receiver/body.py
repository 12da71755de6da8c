"""Reading request bodies of the API and the console: one media-type check, one reader
with a size limit, then JSON objects or HTML form fields. (The webhook has its own
path, with Moota's limits, timeout and audit rows.)"""

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request

from mootaflow.domain.errors import BadRequest, TooLarge, UnsupportedMediaType

API_BODY_LIMIT = 64 * 1024
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
# Our forms have a handful of fields; a body with thousands is not one of them.
_MAX_FIELDS = 50


def require_media_type(request: Request, *accepted: str) -> str:
    """The request's media type if it is one of `accepted`, else UnsupportedMediaType."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in accepted:
        raise UnsupportedMediaType(
            "unsupported_media_type", f"content type must be {' or '.join(accepted)}"
        )
    return media_type


async def read_body(request: Request, limit: int = API_BODY_LIMIT) -> bytes:
    """The whole body, refused past `limit` bytes (declared or streamed)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge("too_large", f"body larger than {limit} bytes")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise TooLarge("too_large", f"body larger than {limit} bytes")
    except ClientDisconnect:
        raise BadRequest("client_disconnected", "client disconnected") from None
    return bytes(body)


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or the error saying what is wrong with it."""
    require_media_type(request, JSON)
    body = await read_body(request)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequest("bad_json", "body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("bad_json", "body must be a JSON object")
    return data


async def form_fields(request: Request) -> dict[str, str]:
    """An HTML form's fields (URL-encoded; our forms upload no files)."""
    require_media_type(request, FORM)
    body = await read_body(request)
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=_MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("bad_form", "body is not a form") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)  # the first of a repeated field counts
    return fields
