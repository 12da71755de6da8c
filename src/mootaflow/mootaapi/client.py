"""Async client for Moota's API v2: typed results for each call the project uses.

Retries, timeouts, error mapping and keeping the token secret are the transport's
(`mootaapi.transport`); this module knows the endpoints and their shapes.
"""

from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal, Self

import httpx
from pydantic import SecretStr

from mootaflow.domain.moota import JAKARTA, Accepted, Quarantined
from mootaflow.domain.settings import DEFAULT_MOOTA_API_URL, Settings
from mootaflow.mootaapi import errors
from mootaflow.mootaapi.models import (
    DEFAULT_PER_PAGE,
    BankAccount,
    MutationPage,
    StoreResult,
    Tag,
    next_page_number,
    page_items,
    parse_bank,
    parse_mutation_page,
    parse_tag,
)
from mootaflow.mootaapi.retry import RetryPolicy
from mootaflow.mootaapi.transport import DEFAULT_TIMEOUT, Transport, segment

_MAX_PAGES = 100_000  # a loop guard; 1.5 million mutations per listing at 15 a page

MutationType = Literal["CR", "DB"]


class MootaClient:
    """One Moota account's API, reached with its token.

    Pass `http` to share a connection pool (the caller closes it); otherwise the
    client owns one, closed by `aclose()` or `async with`.
    """

    def __init__(
        self,
        token: str | SecretStr,
        *,
        base_url: str = DEFAULT_MOOTA_API_URL,
        http: httpx.AsyncClient | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
    ) -> None:
        secret = token if isinstance(token, SecretStr) else SecretStr(token)
        value = secret.get_secret_value()
        if not value.strip():
            raise ValueError("a Moota API token is required")
        # A header cannot carry these; h11 would refuse the request and quote the
        # header (token included) in its error, so refuse here without quoting it.
        if not value.isascii() or not value.isprintable() or any(c.isspace() for c in value):
            raise ValueError("the Moota API token contains spaces or unprintable characters")
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient()
        self._transport = Transport(
            secret,
            base_url,
            self._http,
            timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
            retry or RetryPolicy(),
        )

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @classmethod
    def from_settings(
        cls, settings: Settings, http: httpx.AsyncClient | None = None, **options: Any
    ) -> "MootaClient | None":
        """The configured client, or None when no token is set (the features are off)."""
        if settings.moota_api_token is None:
            return None
        return cls(settings.moota_api_token, base_url=settings.moota_api_url, http=http, **options)

    def __repr__(self) -> str:
        return f"MootaClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    # --- bank accounts

    async def list_banks(self) -> list[BankAccount]:
        """Every bank account of the token's Moota user (all pages of `GET /bank`)."""
        banks: list[BankAccount] = []
        page: int | None = 1
        while page is not None:
            body = await self._transport.request("GET", "bank", params={"page": page})
            banks.extend(parse_bank(item) for item in page_items(body))
            page = next_page_number(body.get("next_page_url"), page)
        return banks

    async def refresh_bank(self, bank_id: str) -> None:
        """Ask Moota to crawl the account now instead of at its next interval.

        Moota charges points for this and refuses (422) when they run out; throttle
        calls per account (Moota's own plugin allows one per 5 minutes).
        """
        await self._transport.request("POST", f"bank/{segment(bank_id)}/refresh", json_body={})

    # --- mutations

    async def list_mutations(
        self,
        *,
        bank_id: str | None = None,
        start_date: date | None = None,
        end_date: date | None = None,
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
        mutation_type: MutationType | None = None,
    ) -> MutationPage:
        """One page of `GET /mutation`; `next_page` says where to continue (None: done).

        Dates are the bank's dates (Jakarta), both ends included.
        """
        if page < 1 or per_page < 1:
            raise ValueError("page and per_page start at 1")
        params: dict[str, str | int] = {"page": page, "per_page": per_page}
        if bank_id:
            params["bank"] = bank_id
        if start_date:
            params["start_date"] = start_date.isoformat()
        if end_date:
            params["end_date"] = end_date.isoformat()
        if mutation_type:
            params["type"] = mutation_type
        body = await self._transport.request("GET", "mutation", params=params)
        return parse_mutation_page(body)

    async def iter_mutation_pages(
        self,
        *,
        bank_id: str | None = None,
        start_date: date | None = None,
        end_date: date | None = None,
        first_page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
        mutation_type: MutationType | None = None,
    ) -> AsyncIterator[MutationPage]:
        """Every page from `first_page`, following `next_page_url` until it is null.

        Pages are yielded as Moota sent them: when mutations arrive while paging,
        items already seen shift to later pages and come again (see `iter_mutations`
        for a de-duplicated stream).
        """
        page: int | None = first_page
        for _ in range(_MAX_PAGES):
            if page is None:
                return
            current = await self.list_mutations(
                bank_id=bank_id,
                start_date=start_date,
                end_date=end_date,
                page=page,
                per_page=per_page,
                mutation_type=mutation_type,
            )
            yield current
            page = current.next_page
        raise errors.MootaResponseError(f"more than {_MAX_PAGES} pages; stopped", path="mutation")

    async def iter_mutations(
        self,
        *,
        bank_id: str | None = None,
        start_date: date | None = None,
        end_date: date | None = None,
        per_page: int = DEFAULT_PER_PAGE,
        mutation_type: MutationType | None = None,
    ) -> AsyncIterator[Accepted | Quarantined]:
        """Every mutation in the range, each at most once per pass.

        What a pass guarantees: a mutation that exists from the first page to the
        last is yielded exactly once, whatever arrives meanwhile, because new
        mutations only push existing ones towards later pages (so they repeat, and
        repeats are dropped here); they never pull one back past the cursor.
        Mutations that arrive during the pass may or may not be included; a
        later pass (with an overlapping range) picks them up. Moota does not
        delete mutations on its own; deleting by hand during a pass can make an
        item skip a page boundary, which the next pass then finds.
        """
        seen: set[str] = set()
        async for page in self.iter_mutation_pages(
            bank_id=bank_id,
            start_date=start_date,
            end_date=end_date,
            per_page=per_page,
            mutation_type=mutation_type,
        ):
            for accepted in page.accepted:
                key = "id:" + accepted.mutation.mutation_id
                if key not in seen:
                    seen.add(key)
                    yield accepted
            for quarantined in page.quarantined:
                key = "fp:" + quarantined.fingerprint
                if key not in seen:
                    seen.add(key)
                    yield quarantined

    async def set_note(self, mutation_id: str, note: str) -> None:
        """Replace the mutation's note (shown in Moota's dashboard). Idempotent."""
        await self._transport.request(
            "POST", f"mutation/{segment(mutation_id)}/note", json_body={"note": note}
        )

    async def push_webhook(self, mutation_id: str) -> None:
        """Ask Moota to send this mutation to the account's webhooks again."""
        await self._transport.request(
            "POST", f"mutation/{segment(mutation_id)}/webhook", json_body={}
        )

    async def create_dummy_mutation(
        self,
        bank_id: str,
        *,
        amount: Decimal | int,
        mutation_type: MutationType = "CR",
        note: str = "",
        when: datetime | None = None,
    ) -> StoreResult:
        """Create a test mutation on a (sandbox) account; Moota also pushes it to webhooks.

        Not retried after the request may have been processed (5xx, read timeout):
        repeating it could create a second mutation.
        """
        stamp = (when or datetime.now(JAKARTA)).astimezone(JAKARTA)
        body = {
            "date": stamp.strftime("%Y-%m-%d %H:%M:%S"),
            "amount": str(amount),
            "type": mutation_type,
            "note": note,
        }
        answer = await self._transport.request(
            "POST", f"mutation/store/{segment(bank_id)}", json_body=body, idempotent=False
        )
        counts = answer.get("mutation")
        if not isinstance(counts, dict):
            return StoreResult(total=0, new=0)
        return StoreResult(total=_count(counts.get("total")), new=_count(counts.get("new")))

    # --- tags

    async def list_tags(self, names: Sequence[str] = ()) -> list[Tag]:
        """The user's tags; with `names`, only those (Moota's `tag` filter)."""
        params: dict[str, str | int] | None = {"tag": ",".join(names)} if names else None
        body = await self._transport.request("GET", "tagging", params=params)
        items = body.get("tagging")
        if not isinstance(items, list):
            raise errors.MootaResponseError("expected a 'tagging' list", path="tagging")
        return [parse_tag(item) for item in items]

    async def create_tag(self, name: str) -> Tag:
        body = await self._transport.request("POST", "tagging", json_body={"name": name})
        return parse_tag(body.get("tagging"))

    async def ensure_tags(self, names: Sequence[str]) -> list[Tag]:
        """The tags named, created where missing; in the order given.

        Safe under concurrency: when another worker creates the same tag first,
        Moota refuses the duplicate (422) and the existing tag is used.
        """
        wanted = list(dict.fromkeys(names))
        known = {tag.name: tag for tag in await self.list_tags()}
        for name in wanted:
            if name in known:
                continue
            try:
                known[name] = await self.create_tag(name)
            except errors.MootaValidationError:
                known.update((tag.name, tag) for tag in await self.list_tags([name]))
                if name not in known:
                    raise
        return [known[name] for name in wanted]

    async def attach_tags(
        self, mutation_id: str, names: Sequence[str], *, create_missing: bool = True
    ) -> None:
        """Add tags to a mutation (its other tags stay). Attaching twice is harmless."""
        if create_missing:
            await self.ensure_tags(names)
        await self._transport.request(
            "POST", f"tagging/mutation/{segment(mutation_id)}", json_body={"name": list(names)}
        )

    async def update_tags(
        self, mutation_id: str, names: Sequence[str], *, create_missing: bool = True
    ) -> None:
        """Set the mutation's tags to exactly `names` (e.g. `flagged` → `paid`)."""
        if create_missing:
            await self.ensure_tags(names)
        await self._transport.request(
            "PUT", f"tagging/mutation/{segment(mutation_id)}", json_body={"name": list(names)}
        )

    async def detach_tags(self, mutation_id: str, names: Sequence[str]) -> None:
        await self._transport.request(
            "DELETE", f"tagging/mutation/{segment(mutation_id)}", json_body={"name": list(names)}
        )


def _count(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0
