"""What can go wrong talking to Moota's API, as exceptions a caller can act on.

The split follows what the caller should do next: fix the token (auth), fix the
request (validation, not found, other client errors), or try again later
(unavailable, after our own bounded retries). Messages carry Moota's own error
text and the request path, never the token or other headers.
"""


class MootaError(Exception):
    """Base class. `status` is the HTTP status, None when no response arrived."""

    def __init__(self, message: str, *, status: int | None = None, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.path = path

    def __str__(self) -> str:
        where = f" ({self.path})" if self.path else ""
        code = f"HTTP {self.status}: " if self.status is not None else ""
        return f"{code}{self.message}{where}"


class MootaAuthError(MootaError):
    """401/403: the token is missing, wrong, revoked or lacks the scope. Never retried."""


class MootaNotFound(MootaError):
    """404: the mutation, bank or tag does not exist (for this token)."""


class MootaValidationError(MootaError):
    """422: Moota refused the input. `errors` maps each field to its messages."""

    def __init__(
        self,
        message: str,
        *,
        errors: dict[str, list[str]],
        status: int | None = 422,
        path: str = "",
    ) -> None:
        super().__init__(message, status=status, path=path)
        self.errors = errors

    def __str__(self) -> str:
        fields = "; ".join(f"{name}: {', '.join(texts)}" for name, texts in self.errors.items())
        return f"{super().__str__()}{' [' + fields + ']' if fields else ''}"


class MootaRequestError(MootaError):
    """Any other 4xx: a request Moota will not accept as it is. Not retried."""


class MootaUnavailable(MootaError):
    """429, 5xx, timeouts or connection failures that outlasted the retries.

    `retry_after` is Moota's own hint in seconds when it gave one (it may exceed
    what the client was willing to wait); a scheduler can use it for the next try.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        path: str = "",
        attempts: int = 0,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, path=path)
        self.attempts = attempts
        self.retry_after = retry_after


class MootaResponseError(MootaError):
    """A 2xx whose body is not what the API documents (not JSON, wrong shape).

    Usually a proxy or captive page in between; not retried, since repeating the
    request rarely changes what sits in the way.
    """
