"""The fake's memory: bank accounts, mutations in Moota's exact shape, notes and tags.

Mutations are kept as the dicts Moota sends (decimal-string amounts, date-only
dates on BCA accounts, `created_at` when Moota saw them, `mutation_id` equal
to `token`, `taggings`, the nested `bank`), so the API and the webhook hand out
the very same objects. Everything is synchronous and runs on the server's
event loop, so a request sees a consistent state without locks.
"""

import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from mootaflow.domain.moota import JAKARTA

MutationType = Literal["CR", "DB"]
_ID_ALPHABET = string.ascii_letters + string.digits
_MOOTA_TIME = "%Y-%m-%d %H:%M:%S"


@dataclass
class FakeBank:
    """A bank account connected to Moota. `bank_type` "bca*" reports date-only dates."""

    bank_id: str
    account_number: str
    bank_type: str = "bca"
    label: str = "BCA"
    atas_nama: str = "Toko Contoh"
    username: str = "tokoku"
    interval_refresh: int = 15
    is_active: bool = True
    balance: Decimal = Decimal(0)
    last_update: datetime | None = None

    @property
    def date_only(self) -> bool:
        # BCA's internet banking statement has no times: Moota reports midnight.
        return self.bank_type.lower().startswith("bca")

    def as_moota(self) -> dict[str, Any]:
        """The bank object as `GET /bank` and the mutation's nested `bank` show it."""
        seen = self.last_update or datetime.now(UTC)
        return {
            "corporate_id": None,
            "username": self.username,
            "atas_nama": self.atas_nama,
            "balance": money(self.balance),
            "account_number": self.account_number,
            "bank_type": self.bank_type,
            "login_retry": 0,
            "meta": None,
            "interval_refresh": self.interval_refresh,
            "is_active": self.is_active,
            "token": self.bank_id,
            "bank_id": self.bank_id,
            "label": self.label,
            "last_update": seen.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
        }


@dataclass
class Tagging:
    tag_id: str
    name: str

    def as_moota(self) -> dict[str, str]:
        return {"name": self.name, "tag_id": self.tag_id}


@dataclass
class NoteCall:
    mutation_id: str
    note: str
    at: datetime


@dataclass
class RefreshCall:
    bank_id: str
    at: datetime


@dataclass
class Ledger:
    """Banks, visible and not-yet-crawled mutations, tags and the calls made on them."""

    clock: Callable[[], datetime] = lambda: datetime.now(JAKARTA)
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    banks: dict[str, FakeBank] = field(default_factory=dict)
    # mutation_id -> Moota object; insertion order is the order Moota saw them.
    mutations: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Transfers already in the bank that Moota has not crawled yet (per bank).
    uncrawled: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    tags: dict[str, Tagging] = field(default_factory=dict)  # by name
    note_calls: list[NoteCall] = field(default_factory=list)
    refresh_calls: list[RefreshCall] = field(default_factory=list)

    def new_id(self) -> str:
        """An 11-character id like Moota's ("Qd8Kx02LmZa"), unique in this fake."""
        while True:
            candidate = "".join(self.rng.choice(_ID_ALPHABET) for _ in range(11))
            taken = candidate in self.mutations or candidate in self.banks
            if not taken and all(t.tag_id != candidate for t in self.tags.values()):
                return candidate

    def add_bank(self, **fields: Any) -> FakeBank:
        bank_id = fields.pop("bank_id", None) or self.new_id()
        fields.setdefault("account_number", str(self.rng.randrange(10**9, 10**10)))
        bank = FakeBank(bank_id=bank_id, **fields)
        bank.last_update = bank.last_update or self.clock()
        self.banks[bank_id] = bank
        self.uncrawled.setdefault(bank_id, [])
        return bank

    def make_mutation(
        self,
        bank_id: str,
        *,
        amount: Decimal | int | str,
        mutation_type: MutationType = "CR",
        description: str | None = None,
        note: str = "",
        when: datetime | None = None,
        seen_at: datetime | None = None,
        mutation_id: str | None = None,
    ) -> dict[str, Any]:
        """A mutation in Moota's shape; the bank's balance moves with it."""
        bank = self.banks[bank_id]
        value = Decimal(str(amount))
        if value <= 0:
            raise ValueError("amount must be positive")
        happened = (when or self.clock()).astimezone(JAKARTA)
        seen = (seen_at or self.clock()).astimezone(JAKARTA)
        bank.balance += value if mutation_type == "CR" else -value
        bank.last_update = seen
        identifier = mutation_id or self.new_id()
        date = happened.strftime("%Y-%m-%d 00:00:00" if bank.date_only else _MOOTA_TIME)
        return {
            "account_number": bank.account_number,
            "date": date,
            "description": description
            if description is not None
            else default_description(happened, value, mutation_type),
            "amount": money(value),
            "type": mutation_type,
            "note": note,
            "balance": money(bank.balance),
            "created_at": seen.strftime(_MOOTA_TIME),
            "updated_at": seen.strftime(_MOOTA_TIME),
            "mutation_id": identifier,
            "token": identifier,
            "bank_id": bank_id,
            "taggings": [],
            "bank": bank.as_moota(),
        }

    def publish(self, item: dict[str, Any]) -> None:
        """Make a mutation visible to the API (Moota has crawled it)."""
        self.mutations[item["mutation_id"]] = item

    def crawl(self, bank_id: str) -> list[dict[str, Any]]:
        """What Moota's crawler does: uncrawled transfers become mutations, now."""
        found = self.uncrawled.get(bank_id, [])
        self.uncrawled[bank_id] = []
        now = self.clock().strftime(_MOOTA_TIME)
        for item in found:
            item["created_at"] = item["updated_at"] = now
            self.publish(item)
        if bank_id in self.banks:
            self.banks[bank_id].last_update = self.clock()
        return found

    def listing(
        self,
        *,
        bank_id: str | None = None,
        mutation_type: str | None = None,
        start: str | None = None,
        end: str | None = None,
        amount: Decimal | None = None,
        tags: set[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Matching mutations, newest first (by `created_at`, then arrival)."""
        order = {mutation_id: n for n, mutation_id in enumerate(self.mutations)}
        found = [
            item
            for item in self.mutations.values()
            if (bank_id is None or item["bank_id"] == bank_id)
            and (mutation_type is None or item["type"] == mutation_type)
            and (start is None or item["date"][:10] >= start)
            and (end is None or item["date"][:10] <= end)
            and (amount is None or Decimal(item["amount"]) == amount)
            and (not tags or tags & {t["name"] for t in item["taggings"]})
        ]
        found.sort(key=lambda item: (item["created_at"], order[item["mutation_id"]]), reverse=True)
        return found

    def set_note(self, mutation_id: str, note: str) -> dict[str, Any]:
        item = self.mutations[mutation_id]
        item["note"] = note
        self.touch(item)
        self.note_calls.append(NoteCall(mutation_id, note, self.clock()))
        return item

    def create_tag(self, name: str) -> Tagging:
        tag = Tagging(self.new_id(), name)
        self.tags[name] = tag
        return tag

    def set_taggings(self, mutation_id: str, names: list[str]) -> None:
        item = self.mutations[mutation_id]
        item["taggings"] = [self.tags[name].as_moota() for name in dict.fromkeys(names)]
        self.touch(item)

    def tags_of(self, mutation_id: str) -> list[str]:
        return [tagging["name"] for tagging in self.mutations[mutation_id]["taggings"]]

    def touch(self, item: dict[str, Any]) -> None:
        item["updated_at"] = self.clock().astimezone(JAKARTA).strftime(_MOOTA_TIME)


def money(value: Decimal) -> str:
    """Moota's money format: a decimal string with two places ("150123.00")."""
    return f"{value.quantize(Decimal('0.01')):f}"


def default_description(when: datetime, amount: Decimal, mutation_type: str) -> str:
    """A BCA-like statement line, e.g. "TRSF E-BANKING CR 2411/FTSCY/WS95031 150123.00 ..."."""
    kind = "CR" if mutation_type == "CR" else "DB"
    return f"TRSF E-BANKING {kind} {when:%d%m}/FTSCY/WS95031 {money(amount)} FAKE MOOTA"
