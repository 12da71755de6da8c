"""`FakeMoota`: one fake Moota account, driven by its HTTP API or directly by tests.

Tests in the same process hold the object and call its methods (add banks and
mutations, switch faults on, read notes, tags and refresh calls); other
processes use the control endpoints (`mootaflow.fakemoota.control`), which
call the same methods.
"""

import hmac
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from mootaflow.domain.moota import JAKARTA
from mootaflow.fakemoota.faults import Faults
from mootaflow.fakemoota.state import FakeBank, Ledger, MutationType, RefreshCall
from mootaflow.fakemoota.webhook import Delivery, Webhooks

DEFAULT_TOKEN = "fake-moota-token"  # noqa: S105 (the fake's own, public default)


@dataclass
class RequestRecord:
    """One API request as the fake saw it (the token itself is not kept)."""

    method: str
    path: str
    query: str
    status: int


@dataclass
class FakeMoota:
    tokens: set[str] = field(default_factory=lambda: {DEFAULT_TOKEN})
    ledger: Ledger = field(default_factory=Ledger)
    faults: Faults = field(default_factory=Faults)
    webhooks: Webhooks = field(default_factory=Webhooks)
    requests: list[RequestRecord] = field(default_factory=list)
    # Refresh makes Moota crawl at once (it really queues a crawl within minutes).
    crawl_on_refresh: bool = True

    @classmethod
    def create(
        cls,
        *,
        token: str = DEFAULT_TOKEN,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        seed: int = 0,
        clock: Callable[[], datetime] | None = None,
    ) -> "FakeMoota":
        """A fake with one token; `seed` makes ids and dropped webhooks reproducible."""
        ledger = Ledger(rng=random.Random(seed))
        if clock is not None:
            ledger.clock = clock
        webhooks = Webhooks(url=webhook_url, rng=random.Random(seed + 1))
        if webhook_secret is not None:
            webhooks.secret = webhook_secret
        return cls(tokens={token}, ledger=ledger, webhooks=webhooks)

    def authorised(self, header: str | None) -> bool:
        scheme, _, presented = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            return False
        # Every token is compared, so timing does not tell which one nearly matched.
        results = [hmac.compare_digest(presented.strip(), token) for token in self.tokens]
        return any(results)

    # --- banks

    def add_bank(self, **fields: Any) -> FakeBank:
        """A bank account; see `FakeBank` for the fields (bank_type "bca" is date-only)."""
        return self.ledger.add_bank(**fields)

    @property
    def banks(self) -> list[FakeBank]:
        return list(self.ledger.banks.values())

    def refresh(self, bank_id: str) -> list[dict[str, Any]]:
        """`POST /bank/{id}/refresh`: record it, crawl, push what the crawl found."""
        self.ledger.refresh_calls.append(
            RefreshCall(bank_id, self.ledger.clock().astimezone(JAKARTA))
        )
        return self.crawl(bank_id) if self.crawl_on_refresh else []

    def crawl(self, bank_id: str, *, push: bool = True) -> list[dict[str, Any]]:
        """Moota's crawler visiting the account: uncrawled transfers appear (and are pushed)."""
        found = self.ledger.crawl(bank_id)
        if found and push:
            self.webhooks.push(found)
        return found

    # --- mutations

    def add_mutation(
        self,
        bank_id: str,
        amount: Decimal | int | str,
        *,
        mutation_type: MutationType = "CR",
        description: str | None = None,
        note: str = "",
        when: datetime | None = None,
        push: bool = False,
        crawled: bool = True,
        mutation_id: str | None = None,
    ) -> dict[str, Any]:
        """A transfer on the account, in Moota's shape.

        crawled=True: Moota already has it (listed at once; pushed if `push`).
        crawled=False: it is in the bank only, until `crawl()` or a refresh finds it.
        """
        item = self.ledger.make_mutation(
            bank_id,
            amount=amount,
            mutation_type=mutation_type,
            description=description,
            note=note,
            when=when,
            mutation_id=mutation_id,
        )
        if not crawled:
            self.ledger.uncrawled[bank_id].append(item)
            return item
        self.ledger.publish(item)
        if push:
            self.webhooks.push([item])
        return item

    def add_mutations(
        self,
        bank_id: str,
        amounts: Iterable[Decimal | int | str],
        *,
        push: bool = False,
        each_pushed_alone: bool = True,
        **options: Any,
    ) -> list[dict[str, Any]]:
        """Several transfers; pushed one delivery each, or together as one crawl would."""
        items = [self.add_mutation(bank_id, amount, **options) for amount in amounts]
        if push:
            if each_pushed_alone:
                for item in items:
                    self.webhooks.push([item])
            else:
                self.webhooks.push(items)
        return items

    def push_again(self, mutation_id: str) -> Delivery | None:
        """`POST /mutation/{id}/webhook`: send a known mutation to the webhook again."""
        return self.webhooks.push([self.ledger.mutations[mutation_id]])

    def mutation(self, mutation_id: str) -> dict[str, Any]:
        return self.ledger.mutations[mutation_id]

    @property
    def mutations(self) -> list[dict[str, Any]]:
        """Visible mutations, newest first (the API's order)."""
        return self.ledger.listing()

    # --- what clients did

    def note_of(self, mutation_id: str) -> str:
        note: str = self.ledger.mutations[mutation_id]["note"]
        return note

    def note_calls(self, mutation_id: str | None = None) -> list[str]:
        """Notes set, in order (all mutations, or one)."""
        calls = self.ledger.note_calls
        return [c.note for c in calls if mutation_id is None or c.mutation_id == mutation_id]

    def tags_of(self, mutation_id: str) -> list[str]:
        return self.ledger.tags_of(mutation_id)

    @property
    def tag_names(self) -> list[str]:
        return list(self.ledger.tags)

    def refresh_calls(self, bank_id: str | None = None) -> int:
        calls = self.ledger.refresh_calls
        return len([c for c in calls if bank_id is None or c.bank_id == bank_id])

    def requests_to(self, path_part: str, method: str | None = None) -> list[RequestRecord]:
        return [
            r
            for r in self.requests
            if path_part in r.path and (method is None or r.method == method.upper())
        ]

    def snapshot(self) -> dict[str, Any]:
        """The state a test or an operator inspects (`GET /_fake/state`)."""
        return {
            "banks": [bank.as_moota() for bank in self.banks],
            "mutations": len(self.ledger.mutations),
            "uncrawled": {k: len(v) for k, v in self.ledger.uncrawled.items() if v},
            "notes": {m: self.note_of(m) for m in self.ledger.mutations if self.note_of(m)},
            "note_calls": [
                {"mutation_id": c.mutation_id, "note": c.note} for c in self.ledger.note_calls
            ],
            "tags": {m: self.tags_of(m) for m in self.ledger.mutations if self.tags_of(m)},
            "tag_names": self.tag_names,
            "refresh_calls": [
                {"bank_id": c.bank_id, "at": c.at.isoformat()} for c in self.ledger.refresh_calls
            ],
            "webhooks": {
                "url": self.webhooks.url,
                "drop_share": self.webhooks.drop_share,
                "deliveries": len(self.webhooks.deliveries),
                "dropped": len(self.webhooks.dropped),
                "delivered": len([d for d in self.webhooks.deliveries if d.delivered]),
                "dropped_mutation_ids": [m for d in self.webhooks.dropped for m in d.mutation_ids],
            },
            "faults_queued": len(self.faults.queued),
            "outage": self.faults.outage_fault is not None,
            "requests": len(self.requests),
        }
