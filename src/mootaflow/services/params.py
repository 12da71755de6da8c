"""Reading what a caller asked for (query parameters, form fields, CLI options) into
checked values; BadRequest naming the parameter otherwise. Shared by the API, the
console and the CLI so they accept exactly the same things."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from mootaflow.domain.errors import BadRequest
from mootaflow.domain.money import AmountError, parse_amount
from mootaflow.domain.moota import JAKARTA
from mootaflow.domain.payments import PaymentStatus
from mootaflow.store.listing import PaymentFilter

# Payment statuses as the workflow writes them (and the search attribute PaymentStatus).
STATUSES = tuple(status.value for status in PaymentStatus)
ANY_STATUS = "all"
_MAX_TEXT = 128


@dataclass(frozen=True)
class Days:
    """Whole days in Jakarta, first to last inclusive, as UTC bounds [since, before)."""

    first: date
    last: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time(), JAKARTA)

    @property
    def before(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), JAKARTA)

    @property
    def count(self) -> int:
        return (self.last - self.first).days + 1


def status(text: str | None, default: str) -> tuple[str, ...]:
    """One status, or every status for `all`."""
    value = (text or default).strip()
    if value == ANY_STATUS:
        return ()
    if value not in STATUSES:
        raise BadRequest("bad_status", f"status must be one of {', '.join(STATUSES)} or all")
    return (value,)


def day(text: str | None, name: str) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadRequest(f"bad_{name}", f"'{name}' must be a date as YYYY-MM-DD") from None


def days(first: str | None, last: str | None, *, max_days: int | None = None) -> Days | None:
    """The `from`/`to` pair; either may be missing (then the other alone, or None)."""
    start, end = day(first, "from"), day(last, "to")
    if start is None and end is None:
        return None
    span = Days(start or end or date.min, end or start or date.max)
    if span.first > span.last:
        raise BadRequest("bad_range", "'from' is after 'to'")
    if max_days is not None and span.count > max_days:
        raise BadRequest("bad_range", f"at most {max_days} days at once")
    return span


def required_days(first: str | None, last: str | None, *, max_days: int | None = None) -> Days:
    span = days(first, last, max_days=max_days)
    if span is None or first is None or last is None:
        raise BadRequest("bad_range", "'from' and 'to' are required (YYYY-MM-DD)")
    return span


def amount(text: str | None) -> Decimal | None:
    if text is None or not text.strip():
        return None
    cleaned = text.strip().removeprefix("Rp").strip().replace(" ", "")
    # "150123.00" is Moota's way (and the API's); anything else is read the Indonesian
    # way, as people type it: dots group thousands, a comma starts the sen.
    if not re.fullmatch(r"\d+\.\d\d", cleaned):
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        return parse_amount(cleaned)
    except AmountError as exc:
        raise BadRequest("bad_amount", f"'amount': {exc}") from None


def text(value: str | None, name: str) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > _MAX_TEXT or not value.isprintable():
        raise BadRequest(
            f"bad_{name}", f"'{name}' must be at most {_MAX_TEXT} printable characters"
        )
    return value.strip()


def payment_filter(params: Mapping[str, str], *, default_status: str) -> PaymentFilter:
    """Search parameters: status, account, amount, order_ref, mutation_id, from, to."""
    span = days(params.get("from"), params.get("to"))
    return PaymentFilter(
        statuses=status(params.get("status"), default_status),
        account=text(params.get("account"), "account"),
        amount=amount(params.get("amount")),
        order_ref=text(params.get("order_ref"), "order_ref"),
        mutation_id=text(params.get("mutation_id"), "mutation_id"),
        since=span.since if span and span.first != date.min else None,
        before=span.before if span and span.last != date.max else None,
    )
