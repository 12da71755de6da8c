"""Keyset paging for every list: a page of rows, and an opaque cursor for the next.

A cursor is the sort key of the last row given (a time and an id), so the next
page starts right after it however many rows arrive meanwhile, and a deep page
costs no more than the first. No list is ever cut silently: a page says whether
more exists and how to ask for it.
"""

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from mootaflow.domain.errors import BadRequest

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class Key:
    """Where a row sits in its list: ordered by time, then id (the tie-breaker)."""

    at: datetime
    id: str


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    after: Key | None = None

    @classmethod
    def of(cls, params: Mapping[str, str]) -> "PageRequest":
        """From `limit` and `cursor` query parameters; BadRequest naming the bad one."""
        return cls(parse_limit(params.get("limit")), decode_cursor(params.get("cursor")))


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: Key | None  # None: this is the last page

    @property
    def has_more(self) -> bool:
        return self.next is not None

    @property
    def cursor(self) -> str | None:
        return encode_cursor(self.next) if self.next is not None else None


def page_of(rows: list[T], limit: int, key_of: Callable[[T], Key]) -> Page[T]:
    """Rows fetched with limit + 1: the extra one only says that more exists."""
    if len(rows) > limit:
        kept = rows[:limit]
        return Page(kept, key_of(kept[-1]))
    return Page(rows, None)


def parse_limit(text: str | None) -> int:
    if text is None or text == "":
        return DEFAULT_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise BadRequest("bad_limit", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(text)


def encode_cursor(key: Key) -> str:
    raw = json.dumps([key.at.isoformat(), key.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str | None) -> Key | None:
    if text is None or text == "":
        return None
    try:
        if len(text) > 512:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        at, id_ = json.loads(raw)
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not isinstance(id_, str):
            raise ValueError("not a cursor")
    except (ValueError, TypeError, binascii.Error, RecursionError):
        raise BadRequest("bad_cursor", "cursor is not one this API gave out") from None
    return Key(moment, id_)
