"""The one mapping from domain errors to HTTP, and the API's JSON error replies.

Handlers raise (`domain.errors`); the app's exception handler answers. The body is
`{"error": code, "detail": ..., **extra}`, as the API has always answered.
"""

from starlette.responses import JSONResponse, Response

from mootaflow.domain.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ServiceError,
    TooLarge,
    TooSoon,
    Unauthenticated,
    Unavailable,
    UnsupportedMediaType,
    UpstreamRefused,
)

HTTP_STATUS: dict[type[ServiceError], int] = {
    BadRequest: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    UnsupportedMediaType: 415,
    Invalid: 422,
    TooSoon: 429,
    UpstreamRefused: 502,
    Unavailable: 503,
}


def status_of(error: ServiceError) -> int:
    for kind in type(error).__mro__:
        if issubclass(kind, ServiceError) and kind in HTTP_STATUS:
            return HTTP_STATUS[kind]
    return 400


def headers_of(error: ServiceError) -> dict[str, str]:
    if isinstance(error, Unavailable | TooSoon):
        return {"Retry-After": str(error.retry_after)}
    if isinstance(error, Unauthenticated):
        return {"WWW-Authenticate": "Bearer"}
    return {}


def json_error(error: ServiceError) -> Response:
    body = {"error": error.code, "detail": error.detail, **error.extra}
    return JSONResponse(body, status_of(error), headers=headers_of(error))
