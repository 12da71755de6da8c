"""Typed views of Moota API answers: bank accounts, tags, pages of mutations.

Mutation items are the webhook's shape, so they go through the same parser
(`mootaflow.domain.moota.parse_delivery`): a page yields accepted mutations and
quarantined items exactly as a delivery would, and one odd item never makes a
whole listing fail.
"""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mootaflow.domain.moota import Accepted, Quarantined, parse_delivery
from mootaflow.mootaapi.errors import MootaResponseError

DEFAULT_PER_PAGE = 15  # Moota's (Laravel's) default page size


@dataclass(frozen=True)
class BankAccount:
    """One bank account connected to Moota (`GET /bank`)."""

    bank_id: str
    account_number: str
    bank_type: str
    label: str
    atas_nama: str
    interval_refresh: int | None
    is_active: bool
    last_update: str | None
    # Moota's object as sent; it can hold the bank login (`username`, `meta`), so
    # it stays out of reprs and must be redacted before it is stored or logged.
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class Tag:
    tag_id: str
    name: str


@dataclass(frozen=True)
class StoreResult:
    """Answer to `POST /mutation/store/{bank_id}`: Moota reports counts, not ids."""

    total: int
    new: int


@dataclass(frozen=True)
class MutationPage:
    """One page of `GET /mutation`, parsed.

    `next_page` is None on the last page. `total` and `last_page` are as Moota
    counted them when it answered this page; they grow while mutations arrive.
    """

    page: int
    next_page: int | None
    last_page: int
    per_page: int
    total: int
    accepted: list[Accepted]
    quarantined: list[Quarantined]

    @property
    def size(self) -> int:
        return len(self.accepted) + len(self.quarantined)


def parse_bank(item: object) -> BankAccount:
    if not isinstance(item, dict):
        raise MootaResponseError(f"bank account is not a JSON object: {type(item).__name__}")
    bank_id = _text(item.get("bank_id") or item.get("token"))
    if not bank_id:
        raise MootaResponseError("bank account without bank_id")
    interval = item.get("interval_refresh")
    return BankAccount(
        bank_id=bank_id,
        account_number=_text(item.get("account_number")),
        bank_type=_text(item.get("bank_type")),
        label=_text(item.get("label")),
        atas_nama=_text(item.get("atas_nama")),
        interval_refresh=int(interval)
        if isinstance(interval, int | str) and _is_int(interval)
        else None,
        is_active=bool(item.get("is_active")),
        last_update=_text(item.get("last_update")) or None,
        raw=item,
    )


def parse_tag(item: object) -> Tag:
    if not isinstance(item, dict) or not item.get("tag_id") or not item.get("name"):
        raise MootaResponseError("tag is not an object with tag_id and name")
    return Tag(tag_id=_text(item["tag_id"]), name=_text(item["name"]))


def parse_mutation_page(body: object) -> MutationPage:
    data = page_items(body)
    assert isinstance(body, dict)
    parsed = parse_delivery(data)
    current = _int(body, "current_page", default=1)
    next_url = body.get("next_page_url")
    return MutationPage(
        page=current,
        next_page=next_page_number(next_url, current),
        last_page=_int(body, "last_page", default=current),
        per_page=_int(body, "per_page", default=DEFAULT_PER_PAGE),
        total=_int(body, "total", default=len(data)),
        accepted=parsed.accepted,
        quarantined=parsed.quarantined,
    )


def page_items(body: object) -> list[object]:
    """The `data` list of a Laravel page, or MootaResponseError."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise MootaResponseError("expected a page object with a 'data' list")
    items: list[object] = body["data"]
    return items


def next_page_number(next_url: object, current: int) -> int | None:
    """The page number in Laravel's `next_page_url` (None when there is no next page)."""
    if next_url is None or next_url == "":
        return None
    if isinstance(next_url, str):
        values = parse_qs(urlsplit(next_url).query).get("page")
        if values and values[0].isdigit():
            number = int(values[0])
            if number > current:
                return number
            raise MootaResponseError(
                f"next_page_url points back to page {number} from page {current}"
            )
    # A next page exists but its URL is odd: the next number is the only sane guess.
    return current + 1


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _is_int(value: int | str) -> bool:
    return isinstance(value, int) or value.strip().isdigit()


def _int(body: dict[str, Any], name: str, *, default: int) -> int:
    value = body.get(name)
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return default
