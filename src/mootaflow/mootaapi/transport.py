"""HTTP to Moota's API: the token header, bounded retries, and errors by status.

The token lives in a `SecretStr` and only ever goes into the `Authorization`
header of a request; it is not in any repr, log record or exception raised here
(those carry Moota's message and the path).
"""

import asyncio
import json
import logging
from decimal import Decimal
from typing import Any

import httpx
from pydantic import SecretStr

from mootaflow import __version__
from mootaflow.mootaapi import errors
from mootaflow.mootaapi.retry import (
    NOT_PROCESSED_STATUSES,
    RETRYABLE_STATUSES,
    RetryPolicy,
    parse_retry_after,
)

log = logging.getLogger("mootaflow.mootaapi")

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
_MAX_MESSAGE = 300


class Transport:
    """Sends one API call, retrying what may succeed later; raises `errors.Moota*`."""

    def __init__(
        self,
        token: SecretStr,
        base_url: str,
        http: httpx.AsyncClient,
        timeout: httpx.Timeout,
        retry: RetryPolicy,
    ) -> None:
        self._token = token
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.timeout = timeout
        self.retry = retry

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str | int] | None = None,
        json_body: object = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """Send with retries; the decoded JSON object of a 2xx, or a typed error."""
        url = f"{self.base_url}/{path}"
        content = None if json_body is None else json.dumps(json_body).encode()
        headers = {
            "Authorization": f"Bearer {self._token.get_secret_value()}",
            "Accept": "application/json",
            "User-Agent": f"mootaflow/{__version__}",
        }
        if content is not None:
            headers["Content-Type"] = "application/json"
        policy = self.retry
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self.http.request(
                    method,
                    url,
                    params=params,
                    content=content,
                    headers=headers,
                    timeout=self.timeout,
                )
            except httpx.TransportError as exc:
                # Not connected at all: nothing reached Moota, so any call may repeat.
                unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                problem = f"{type(exc).__name__}: {str(exc)[:_MAX_MESSAGE] or 'no detail'}"
                # Belt and braces: no transport error should quote the header, but none
                # may ever carry the token into a log or an exception.
                problem = problem.replace(self._token.get_secret_value(), "***")
                if attempt >= policy.attempts or not (idempotent or unsent):
                    raise errors.MootaUnavailable(
                        f"Moota API unreachable after {attempt} attempt(s): {problem}",
                        path=path,
                        attempts=attempt,
                    ) from None
                delay = policy.backoff(attempt)
                self._log_retry(method, path, attempt, delay, problem)
                await asyncio.sleep(delay)
                continue

            status = response.status_code
            if 200 <= status < 300:
                return _json_object(response, path)
            body = _json_or_none(response)
            message = _message(body, response)
            if status in (401, 403):
                raise errors.MootaAuthError(message, status=status, path=path)
            if status == 404:
                raise errors.MootaNotFound(message, status=status, path=path)
            if status == 422:
                raise errors.MootaValidationError(
                    message, errors=_field_errors(body), status=status, path=path
                )
            if status not in RETRYABLE_STATUSES and status < 500:
                raise errors.MootaRequestError(message, status=status, path=path)

            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            safe = idempotent or status in NOT_PROCESSED_STATUSES
            hint_too_long = retry_after is not None and retry_after > policy.max_retry_after
            if attempt >= policy.attempts or not safe or hint_too_long:
                raise errors.MootaUnavailable(
                    f"{message} (gave up after {attempt} attempt(s))",
                    status=status,
                    path=path,
                    attempts=attempt,
                    retry_after=retry_after,
                )
            delay = retry_after if retry_after is not None else policy.backoff(attempt)
            self._log_retry(method, path, attempt, delay, f"HTTP {status}")
            await asyncio.sleep(delay)

    def _log_retry(self, method: str, path: str, attempt: int, delay: float, problem: str) -> None:
        log.warning(
            "Moota API call failed, retrying",
            extra={
                "method": method,
                "path": path,
                "attempt": attempt,
                "retry_in_seconds": round(delay, 3),
                "problem": problem,
            },
        )


def segment(value: str) -> str:
    """An id as one path segment: Moota ids are short alphanumerics; refuse anything else."""
    text = str(value).strip()
    if not text or len(text) > 128 or any(c in text for c in "/?#%\\") or not text.isprintable():
        raise ValueError(f"not a plausible Moota id: {text[:40]!r}")
    return text


def _json_object(response: httpx.Response, path: str) -> dict[str, Any]:
    body = _json_or_none(response)
    if not isinstance(body, dict):
        kind = response.headers.get("Content-Type", "no content type")
        raise errors.MootaResponseError(
            f"expected a JSON object, got {kind} ({len(response.content)} bytes)",
            status=response.status_code,
            path=path,
        )
    return body


def _json_or_none(response: httpx.Response) -> Any:
    try:
        # Exact decimals: Moota's amounts and balances are money.
        return json.loads(response.content, parse_float=Decimal)
    except ValueError:
        return None


def _message(body: Any, response: httpx.Response) -> str:
    """Moota's own words: `message`, or `error` when it is text."""
    if isinstance(body, dict):
        for key in ("message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:_MAX_MESSAGE]
    return response.reason_phrase or f"HTTP {response.status_code}"


def _field_errors(body: Any) -> dict[str, list[str]]:
    found = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(found, dict):
        return {}
    result: dict[str, list[str]] = {}
    for name, texts in found.items():
        if isinstance(texts, list):
            result[str(name)] = [str(text)[:_MAX_MESSAGE] for text in texts]
        else:
            result[str(name)] = [str(texts)[:_MAX_MESSAGE]]
    return result
