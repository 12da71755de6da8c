"""The fake's webhook: pushes new mutations to the configured URL as Moota does.

One delivery is a compact JSON array written like PHP's `json_encode` (`/` as
`\\/`), signed in `Signature` with the lowercase hex HMAC-SHA256 of those bytes,
with MootaBot's headers. Like Moota it filters by unique code (the last three
digits of the amount) and kind, and re-sends a failed delivery a few times.
A seeded share of deliveries can be dropped: never sent, as when a webhook is
lost on the way, which is what reconciliation must make up for.
"""

import asyncio
import logging
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from mootaflow.domain.signature import SIGNATURE_HEADER, sign
from mootaflow.fakemoota.laravel import php_json

log = logging.getLogger("mootaflow.fakemoota")

# Key order of a real delivery (moota-php-sdk's webhook history), kept for fidelity.
_WEBHOOK_ORDER = (
    "account_number",
    "date",
    "description",
    "note",
    "amount",
    "type",
    "balance",
    "updated_at",
    "created_at",
    "mutation_id",
    "token",
    "bank_id",
    "taggings",
    "bank",
)


@dataclass
class Attempt:
    status: int | None  # None: no HTTP answer
    error: str = ""
    answer: str = ""  # the receiver's reply body (first 1000 characters)


@dataclass
class Delivery:
    """One push: the body as sent, and what became of it."""

    mutation_ids: list[str]
    body: bytes
    headers: dict[str, str]
    dropped: bool = False
    attempts: list[Attempt] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def delivered(self) -> bool:
        return any(a.status is not None and 200 <= a.status < 300 for a in self.attempts)


@dataclass
class Webhooks:
    url: str | None = None
    secret: str = "fake-moota-webhook-secret"  # noqa: S105 (a fake's default)
    user_id: str = "VLagzqBj42D"
    webhook_id: str = "Wh00kFak3Id"
    # Share of deliveries silently never sent (0.0-1.0), decided by `rng`.
    drop_share: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    attempts: int = 3
    retry_delay: float = 1.0
    timeout: float = 5.0
    start_unique_code: int = 0
    end_unique_code: int = 999
    kinds: frozenset[str] = frozenset({"CR", "DB"})
    deliveries: list[Delivery] = field(default_factory=list)
    _tasks: set["asyncio.Task[None]"] = field(default_factory=set)
    _http: httpx.AsyncClient | None = None

    def seed(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def wanted(self, item: dict[str, Any]) -> bool:
        """Moota's webhook filters: kind, and the unique code range."""
        code = int(Decimal(str(item["amount"]))) % 1000
        return item["type"] in self.kinds and self.start_unique_code <= code <= self.end_unique_code

    def push(self, items: list[dict[str, Any]]) -> Delivery | None:
        """Send `items` (those passing the filters) as one delivery, in the background.

        Returns the delivery record (already `dropped` if the dice said so), or None
        when there is no URL or nothing passes the filters. Call on the event loop.
        """
        if not self.url:
            return None
        chosen = [_webhook_shape(item) for item in items if self.wanted(item)]
        if not chosen:
            return None
        body = php_json(chosen)
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-MOOTA-USER": self.user_id,
            "X-MOOTA-WEBHOOK": self.webhook_id,
            "User-Agent": "MootaBot/1.5",
            SIGNATURE_HEADER: sign(body, self.secret),
        }
        delivery = Delivery([item["mutation_id"] for item in chosen], body, headers)
        self.deliveries.append(delivery)
        if self.drop_share > 0 and self.rng.random() < self.drop_share:
            delivery.dropped = True
            delivery.done.set()
            return delivery
        task = asyncio.get_running_loop().create_task(self._send(self.url, delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    async def _send(self, url: str, delivery: Delivery) -> None:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout)
        try:
            for attempt in range(self.attempts):
                if attempt:
                    await asyncio.sleep(self.retry_delay)
                try:
                    response = await self._http.post(
                        url, content=delivery.body, headers=delivery.headers
                    )
                except httpx.HTTPError as exc:
                    delivery.attempts.append(Attempt(None, f"{type(exc).__name__}: {exc}"))
                    continue
                delivery.attempts.append(Attempt(response.status_code, answer=response.text[:1000]))
                if response.is_success:
                    return
            log.warning(
                "fake Moota: webhook delivery failed",
                extra={"mutation_ids": delivery.mutation_ids, "attempts": len(delivery.attempts)},
            )
        finally:
            delivery.done.set()

    @property
    def dropped(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.dropped]

    async def settle(self) -> None:
        """Wait until every delivery started so far has finished (all its attempts).

        Bounded by `attempts` x (`timeout` + `retry_delay`) per delivery.
        """
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
            self._http = None


def _webhook_shape(item: dict[str, Any]) -> dict[str, Any]:
    ordered = {key: item[key] for key in _WEBHOOK_ORDER if key in item}
    ordered.update((key, value) for key, value in item.items() if key not in ordered)
    return ordered
