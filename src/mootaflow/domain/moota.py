"""Moota webhook payload: a JSON array of bank mutations.

Moota's field types vary between deliveries (see the fixtures): amounts arrive as
int, string or decimal string, account numbers as string or int, `bank` may be
missing or null. Parsing is tolerant of those variants and strict about meaning.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Literal, cast

from mootaflow.domain.money import AmountError, parse_amount

# Moota reports local bank time. Asia/Jakarta has been a fixed UTC+7 since 1964,
# so a fixed offset is exact and needs no tz database.
JAKARTA = timezone(timedelta(hours=7), "WIB")

MAX_DEPTH = 32
_MUTATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
_DAY_FORMAT = "%Y-%m-%d"
_MAX_TEXT = 1000

MutationType = Literal["CR", "DB"]


class DeliveryError(ValueError):
    """The whole delivery is unusable (not JSON, not an array)."""


class MutationError(ValueError):
    """One mutation inside a delivery is invalid; it gets quarantined."""


@dataclass(frozen=True)
class Mutation:
    """One validated bank mutation, with exact money and an aware timestamp."""

    mutation_id: str
    account_number: str
    bank_id: str | None
    type: MutationType
    amount: Decimal
    date: datetime
    description: str
    note: str
    id_derived: bool = False
    # The bank reported the day only (BCA and others: Moota sends midnight), so
    # `date` is the start of that day, not when the money moved.
    date_only: bool = False
    # Moota's `created_at`: when Moota saw the mutation (its crawl), if it said.
    seen_at: datetime | None = None

    @property
    def workflow_id(self) -> str:
        return workflow_id_for(self.mutation_id)


@dataclass(frozen=True)
class Accepted:
    """A valid mutation and the item it came from, unknown fields included (not redacted)."""

    mutation: Mutation
    raw: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class Quarantined:
    """An item of a signed delivery that failed validation."""

    fingerprint: str
    reason: str
    mutation_id: str | None
    raw: object = field(compare=False, repr=False)


@dataclass(frozen=True)
class ParsedDelivery:
    accepted: list[Accepted]
    quarantined: list[Quarantined]

    @property
    def size(self) -> int:
        return len(self.accepted) + len(self.quarantined)


def workflow_id_for(mutation_id: str) -> str:
    return f"moota-mutation-{mutation_id}"


def load_delivery(body: bytes) -> list[object]:
    """Decode a raw body into the list of items, or raise DeliveryError."""
    try:
        data = json.loads(body, parse_float=Decimal, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise DeliveryError("body is not valid UTF-8") from None
    except RecursionError:
        raise DeliveryError("body is nested too deeply") from None
    except ValueError as exc:
        raise DeliveryError(f"body is not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise DeliveryError(f"body must be a JSON array of mutations, got a JSON {_kind(data)}")
    if _depth(data) > MAX_DEPTH:
        raise DeliveryError(f"body is nested deeper than {MAX_DEPTH} levels")
    return data


def parse_delivery(items: list[object]) -> ParsedDelivery:
    """Split the items of a delivery into valid mutations and quarantined items."""
    accepted: list[Accepted] = []
    quarantined: list[Quarantined] = []
    for item in items:
        try:
            accepted.append(Accepted(parse_mutation(item), cast(dict[str, Any], item)))
        except MutationError as exc:
            quarantined.append(
                Quarantined(
                    fingerprint=fingerprint(item),
                    reason=str(exc),
                    mutation_id=_claimed_id(item),
                    raw=item,
                )
            )
    return ParsedDelivery(accepted, quarantined)


def parse_mutation(item: object) -> Mutation:
    if not isinstance(item, dict):
        raise MutationError(f"mutation must be a JSON object, got a JSON {_kind(item)}")
    account_number = _identifier(item, "account_number", required=True)
    assert account_number is not None
    bank_id = _identifier(item, "bank_id", required=False)
    kind = item.get("type")
    if not isinstance(kind, str) or kind.strip().upper() not in ("CR", "DB"):
        raise MutationError(f"type must be 'CR' or 'DB', got {_short(kind)}")
    mutation_type: MutationType = "CR" if kind.strip().upper() == "CR" else "DB"
    try:
        amount = parse_amount(item.get("amount"))
    except AmountError as exc:
        raise MutationError(str(exc)) from None
    date, date_only = parse_bank_date(item.get("date"))
    seen_at = _optional_date(item.get("created_at"))
    description = _text(item, "description")
    note = _text(item, "note")

    claimed = item.get("mutation_id")
    if claimed is None or claimed == "":
        mutation_id = derived_mutation_id(
            account_number, bank_id, mutation_type, amount, date, description, note, item
        )
        derived = True
    else:
        if isinstance(claimed, bool) or not isinstance(claimed, str | int):
            raise MutationError(f"mutation_id must be a string, got {_short(claimed)}")
        mutation_id = str(claimed).strip()
        if not _MUTATION_ID.fullmatch(mutation_id):
            raise MutationError(f"mutation_id {_short(claimed)} has unexpected characters")
        derived = False
    return Mutation(
        mutation_id=mutation_id,
        account_number=account_number,
        bank_id=bank_id,
        type=mutation_type,
        amount=amount,
        date=date,
        description=description,
        note=note,
        id_derived=derived,
        date_only=date_only,
        seen_at=seen_at,
    )


def parse_moota_date(value: object) -> datetime:
    """Moota's 'YYYY-MM-DD HH:MM:SS' in Jakarta time, as an aware datetime."""
    if not isinstance(value, str):
        raise MutationError(f"date must be 'YYYY-MM-DD HH:MM:SS', got {_short(value)}")
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=JAKARTA)
        except ValueError:
            continue
    raise MutationError(f"date must be 'YYYY-MM-DD HH:MM:SS', got {_short(value)}")


def parse_bank_date(value: object) -> tuple[datetime, bool]:
    """The bank's date and whether it is the day only.

    Banks that report the day only (BCA among them) reach us as midnight exactly
    or as a bare 'YYYY-MM-DD'; a real transfer at 00:00:00 sharp is rare enough
    that reading midnight as "some time that day" is the safe side.
    """
    if isinstance(value, str):
        try:
            day = datetime.strptime(value.strip(), _DAY_FORMAT).replace(tzinfo=JAKARTA)
        except ValueError:
            pass
        else:
            return day, True
    moment = parse_moota_date(value)
    return moment, moment.time() == time()


def _optional_date(value: object) -> datetime | None:
    # Moota's created_at only sharpens a date-only date: a garbled one is ignored,
    # not a reason to quarantine the money.
    try:
        return parse_moota_date(value)
    except MutationError:
        return None


def derived_mutation_id(
    account_number: str,
    bank_id: str | None,
    mutation_type: str,
    amount: Decimal,
    date: datetime,
    description: str,
    note: str,
    item: dict[str, Any],
) -> str:
    """A stable id for a mutation Moota sent without one.

    Built from normalised fields, so a re-send that changes only representation
    (amount 100123 vs "100123.00", account as int vs string) still de-duplicates.
    """
    basis = [
        account_number,
        bank_id or "",
        mutation_type,
        str(amount),
        date.isoformat(),
        description,
        note,
        _canonical(item.get("balance")),
    ]
    digest = hashlib.sha256(json.dumps(basis).encode()).hexdigest()
    return f"derived-{digest[:32]}"


def fingerprint(item: object) -> str:
    """Content hash of an arbitrary JSON item, for de-duplicating quarantined items."""
    return hashlib.sha256(_canonical(item).encode()).hexdigest()


def _identifier(item: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise MutationError(f"{name} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MutationError(f"{name} must be a string or integer, got {_short(value)}")
    text = str(value).strip()
    if not text or len(text) > 64 or not text.isprintable():
        raise MutationError(f"{name} {_short(value)} is not a plausible identifier")
    return text


def _text(item: dict[str, Any], name: str) -> str:
    value = item.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MutationError(f"{name} must be a string, got {_short(value)}")
    # NUL cannot be stored in a PostgreSQL text column, and means nothing in a bank text.
    return value.replace("\x00", "")[:_MAX_TEXT]


def _claimed_id(item: object) -> str | None:
    if isinstance(item, dict):
        value = item.get("mutation_id")
        if isinstance(value, str | int) and not isinstance(value, bool):
            text = str(value)[:128]
            # Shown to operators and stored as text: escape what is not printable (NUL!).
            return text if text.isprintable() else text.encode("unicode_escape").decode()
    return None


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _depth(value: object) -> int:
    # Iterative, so hostile nesting cannot exhaust the Python stack here.
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node)
    return deepest


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _short(value: object) -> str:
    text = "null" if value is None else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
