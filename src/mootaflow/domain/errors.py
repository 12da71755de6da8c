"""What can go wrong with a request, said once for every caller.

The services raise these; the JSON API, the finance console and the CLI each
turn them into their own answer (an HTTP status with a JSON body, a page, an
exit code). Each carries a short machine-readable `code` (the API's `error`
field, e.g. `already_decided`) and a `detail` for the person reading it; `extra`
holds more fields of the answer (e.g. who decided first).
"""

from typing import Any


class ServiceError(Exception):
    """Base class: the request was not carried out, and this says why."""

    def __init__(self, code: str, detail: Any, **extra: Any) -> None:
        super().__init__(detail if isinstance(detail, str) else code)
        self.code = code
        self.detail = detail
        self.extra = extra


class BadRequest(ServiceError):
    """Malformed input: unreadable body, unknown status, a cursor we did not issue."""


class Invalid(ServiceError):
    """Well-formed, but not acceptable as asked (a missing reason, an unknown order)."""


class NotFound(ServiceError):
    """No such thing."""


class Conflict(ServiceError):
    """Refused because of the current state (decided already, order paid meanwhile)."""


class Unauthenticated(ServiceError):
    """No credentials, or ones we do not know."""


class Forbidden(ServiceError):
    """Known credentials that may not do this (a merchant key on finance's pages)."""


class Unavailable(ServiceError):
    """Something we depend on did not answer in time; nothing was applied. Try again."""

    def __init__(self, code: str, detail: Any, *, retry_after: int = 5, **extra: Any) -> None:
        super().__init__(code, detail, **extra)
        self.retry_after = max(1, retry_after)


class TooSoon(ServiceError):
    """Asked again before its time (a throttled request); say when it may be asked."""

    def __init__(self, code: str, detail: Any, *, retry_after: int, **extra: Any) -> None:
        super().__init__(code, detail, **extra)
        self.retry_after = max(1, retry_after)


class UpstreamRefused(ServiceError):
    """A service we depend on (Moota) refused the request; nothing was applied."""


class TooLarge(ServiceError):
    """The request body is over its limit."""


class UnsupportedMediaType(ServiceError):
    """The request body is not of a type this endpoint reads."""
