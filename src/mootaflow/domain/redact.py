"""Remove secrets from payloads and headers before they are stored or logged."""

from typing import Any

REDACTED = "[redacted]"

# Moota puts the webhook token in each mutation and, for some bank types, the bank
# login's session secrets (access tokens, OTP) in bank.meta.
_SECRET_KEYS = frozenset({"meta", "username", "password", "pin", "otp", "cookie", "session"})
_SECRET_PARTS = ("token", "secret", "password", "passwd", "credential", "api_key", "apikey")

_SECRET_HEADERS = frozenset(
    {"authorization", "cookie", "set-cookie", "proxy-authorization", "x-api-key"}
)


def is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in _SECRET_KEYS or any(part in lowered for part in _SECRET_PARTS)


def redact(value: Any) -> Any:
    """A copy of a JSON value with every secret-looking field replaced."""
    if isinstance(value, dict):
        return {
            key: (REDACTED if is_secret_key(str(key)) else redact(child))
            for key, child in value.items()
        }
    if isinstance(value, list):
        return [redact(child) for child in value]
    return value


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {
        name: (REDACTED if name.lower() in _SECRET_HEADERS or is_secret_key(name) else value)
        for name, value in headers.items()
    }
