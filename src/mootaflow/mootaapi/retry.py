"""When to try a Moota API call again, and how long to wait first (pure).

Moota rate-limits per token and its crawler-backed endpoints have bad minutes,
so 429, 5xx and dropped connections are retried a bounded number of times with
exponential backoff. A `Retry-After` from Moota wins over our own backoff, up to
`max_retry_after`: beyond that the client gives up at once and hands the hint
to the caller (a Temporal activity can wait hours; an HTTP handler cannot).
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# Statuses that say "not now" rather than "never": the request may succeed later.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# Of those, the ones that mean the request was not processed, so repeating even a
# non-idempotent call (creating a mutation) cannot do it twice.
NOT_PROCESSED_STATUSES = frozenset({425, 429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` counts every try, the first included (1 disables retries)."""

    attempts: int = 4
    initial_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 10.0
    # The longest Retry-After the client sleeps on; a longer one ends the call.
    max_retry_after: float = 30.0
    # +/- this fraction of randomness, so many workers do not retry in step.
    jitter: float = 0.1

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if min(self.initial_delay, self.max_delay, self.max_retry_after) < 0:
            raise ValueError("delays must not be negative")

    def backoff(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th failed try (1-based)."""
        base = min(self.max_delay, self.initial_delay * self.multiplier ** (failures - 1))
        spread = base * self.jitter
        return max(0.0, base + random.uniform(-spread, spread))


NO_RETRIES = RetryPolicy(attempts=1)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a `Retry-After` header: delta-seconds or an HTTP date (RFC 9110).

    None for a missing or unreadable value; a date in the past is 0.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # RFC 9110 dates are GMT; a naive parse means "-0000", which is also UTC.
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds)
