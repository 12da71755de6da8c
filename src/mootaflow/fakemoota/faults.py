"""Switches that make the fake misbehave the ways Moota (or the way to it) does.

Queued faults answer the next N matching API requests: an error status (401,
429 with `Retry-After`, 500, ...), a slow reply, or both. An outage answers every
API request until cleared. Control endpoints are never affected.
"""

import asyncio
from dataclasses import dataclass, field

from starlette.responses import Response

from mootaflow.fakemoota.laravel import PhpJSONResponse

_BODIES = {
    401: {"error": "Unauthenticated."},
    403: {"message": "This action is unauthorized."},
    404: {"message": "Data not found"},
    429: {"message": "Too Many Attempts."},
    500: {"message": "Server Error"},
    502: {"message": "Bad Gateway"},
    503: {"message": "Service Unavailable"},
    504: {"message": "Gateway Timeout"},
}


@dataclass
class Fault:
    """What to do to one request. `path` (a substring of the API path) narrows it."""

    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    path: str | None = None

    def matches(self, path: str) -> bool:
        return self.path is None or self.path in path

    def response(self) -> Response | None:
        if self.status is None:
            return None
        headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
        body = _BODIES.get(self.status, {"message": f"HTTP {self.status}"})
        return PhpJSONResponse(body, status_code=self.status, headers=headers)


@dataclass
class Faults:
    queued: list[Fault] = field(default_factory=list)
    outage_fault: Fault | None = None

    def fail_next(
        self,
        status: int,
        *,
        count: int = 1,
        retry_after: str | float | None = None,
        path: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """The next `count` matching requests answer `status` (after `delay` seconds)."""
        after = None if retry_after is None else _header(retry_after)
        self.queued.extend(Fault(status, after, delay, path) for _ in range(count))

    def slow_next(self, seconds: float, *, count: int = 1, path: str | None = None) -> None:
        """The next `count` matching requests are answered normally, `seconds` late."""
        self.queued.extend(Fault(None, None, seconds, path) for _ in range(count))

    def outage(
        self, status: int = 503, *, retry_after: str | float | None = None, path: str | None = None
    ) -> None:
        """Every matching request answers `status` until `clear()`."""
        after = None if retry_after is None else _header(retry_after)
        self.outage_fault = Fault(status, after, 0.0, path)

    def clear(self) -> None:
        self.queued.clear()
        self.outage_fault = None

    def take(self, path: str) -> Fault | None:
        """The fault for a request to `path`, consuming a queued one."""
        if self.outage_fault is not None and self.outage_fault.matches(path):
            return self.outage_fault
        for index, fault in enumerate(self.queued):
            if fault.matches(path):
                return self.queued.pop(index)
        return None

    async def apply(self, path: str) -> Response | None:
        """Wait as the fault says; its error response, or None to answer normally."""
        fault = self.take(path)
        if fault is None:
            return None
        if fault.delay:
            await asyncio.sleep(fault.delay)
        return fault.response()


def _header(value: str | float) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)
