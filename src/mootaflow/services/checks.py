"""The customer says "I have paid" (POST /api/orders/{ref}/check).

Asks Moota to crawl the order's bank account now (`POST /bank/{id}/refresh`),
throttled per account to one request per 5 minutes, as Moota's own plugin does
(Moota charges for each refresh): inside the window the answer is 429 with
Retry-After. Then reconciles that account.

The reconciliation is a one-off ReconcileWorkflow run for the account (id
`mootaflow-reconcile-check-<bank_id>`), not a pass inside the request: a listing
can take many calls, Moota's 429/5xx need patient retries, and Moota's crawl
finishes some time after the refresh, so the run passes over the account at once
and again a little later. The request stays a few milliseconds plus one call to
Moota, the receiver runs no business step, and the run is the scheduled passes'
code with their progress in the database, visible in the Temporal UI.
"""

import logging
import math
from datetime import UTC, datetime

import httpx

from mootaflow.domain.errors import (
    Conflict,
    Invalid,
    NotFound,
    ServiceError,
    TooSoon,
    Unavailable,
    UpstreamRefused,
)
from mootaflow.domain.payments import OrderStatus
from mootaflow.domain.reconcile import REFRESH_INTERVAL, BankRef
from mootaflow.domain.settings import Settings
from mootaflow.mootaapi import (
    MootaAuthError,
    MootaClient,
    MootaError,
    MootaUnavailable,
    RetryPolicy,
)
from mootaflow.store import orders
from mootaflow.store import reconcile as store
from mootaflow.store.databases import Databases
from mootaflow.store.db import Sessions
from mootaflow.store.tables import Order
from mootaflow.temporal.client import LazyClient
from mootaflow.temporal.reconcile import start_check

log = logging.getLogger("mootaflow.check")

# The customer's shop waits on this request: one quick retry at most.
_TIMEOUT = httpx.Timeout(8.0, connect=3.0)
_RETRY = RetryPolicy(attempts=2, initial_delay=0.3, max_retry_after=2.0)


def check_client(settings: Settings) -> MootaClient | None:
    """The receiver's Moota client for checks (None without a token)."""
    return MootaClient.from_settings(settings, timeout=_TIMEOUT, retry=_RETRY)


async def check_order(
    databases: Databases,
    settings: Settings,
    temporal: LazyClient,
    moota: MootaClient | None,
    ref: str,
) -> dict[str, object]:
    """Ask Moota to crawl the order's account, then reconcile it; what was done."""
    if moota is None:
        raise Unavailable(
            "moota_not_configured",
            "checking with Moota needs MOOTAFLOW_MOOTA_API_TOKEN; the payment is still "
            "processed when Moota's webhook arrives",
        )
    now = datetime.now(UTC)
    # Orders are in the main database; Moota's accounts with the receiving tables.
    inbox = databases.inbox
    async with databases.sessions.begin() as session:
        await orders.expire_overdue(session, now)
        order = await session.run_sync(orders.get_order, ref)
    if order is None:
        raise NotFound("not_found", f"no order {ref}")
    if order.status not in (OrderStatus.OPEN, OrderStatus.PARTIALLY_PAID):
        raise Conflict("order_not_open", f"order {order.ref} is {order.status}")
    bank = await _bank_of(order, inbox, moota)

    async with inbox.begin() as session:
        wait, previous = await store.claim_refresh(session, bank, now)
    if wait is not None:
        seconds = math.ceil(wait.total_seconds())
        raise TooSoon(
            "too_soon",
            {
                "message": f"account {bank.account_number} was checked less than "
                f"{int(REFRESH_INTERVAL.total_seconds() // 60)} minutes ago",
                "retry_after_seconds": seconds,
            },
            retry_after=seconds,
        )
    try:
        await moota.refresh_bank(bank.bank_id)
    except MootaError as exc:
        async with inbox.begin() as session:
            await store.release_refresh(session, bank.bank_id, now, previous)
        raise _moota_refused(exc) from None

    reconcile: dict[str, object]
    try:
        client = await temporal.get()
        workflow_id, started = await start_check(client, settings, bank.bank_id)
        reconcile = {"workflow_id": workflow_id, "started": started}
    except Exception as exc:
        # The crawl is asked for; its webhook (or the next scheduled pass) still comes.
        log.warning(
            "could not start the check's reconcile run",
            extra={"bank_id": bank.bank_id, "error": f"{type(exc).__name__}: {exc}"[:300]},
        )
        reconcile = {"workflow_id": None, "started": False, "detail": "Temporal unavailable"}
    log.info(
        "payment check",
        extra={"order_ref": order.ref, "bank_id": bank.bank_id, "reconcile": reconcile},
    )
    return {
        "order": order.ref,
        "status": order.status,
        "account_number": bank.account_number,
        "bank_id": bank.bank_id,
        "refresh": "requested",
        "reconcile": reconcile,
        "next_check_after": (now + REFRESH_INTERVAL).isoformat(),
    }


async def _bank_of(order: Order, sessions: Sessions, moota: MootaClient) -> BankRef:
    """The order's Moota bank: its bank_id, else the one with its account number
    (known from earlier passes, else asked of Moota)."""
    if order.bank_id:
        return BankRef(order.bank_id, order.account_number)
    async with sessions.begin() as session:
        known = await store.banks_for_account(session, order.account_number)
    if known:
        return BankRef(known[0].bank_id, known[0].account_number, known[0].label)
    try:
        banks = await moota.list_banks()
    except MootaError as exc:
        raise _moota_refused(exc) from None
    found = [
        BankRef(b.bank_id, b.account_number, b.label, b.is_active)
        for b in banks
        if b.account_number == order.account_number
    ]
    if not found:
        raise Invalid(
            "no_moota_account",
            f"account {order.account_number} is not connected to this Moota account",
        )
    async with sessions.begin() as session:
        await store.remember_banks(session, found, datetime.now(UTC))
    return found[0]


def _moota_refused(exc: MootaError) -> ServiceError:
    if isinstance(exc, MootaAuthError):
        log.error("Moota refused the API token (MOOTAFLOW_MOOTA_API_TOKEN)")
        return UpstreamRefused("moota_refused", "Moota refused mootaflow's API token")
    if isinstance(exc, MootaUnavailable):
        detail: dict[str, object] = {"message": "Moota is not answering; try again later"}
        retry_after = 5
        if exc.retry_after is not None:
            retry_after = math.ceil(exc.retry_after)
            detail["retry_after_seconds"] = retry_after
        return Unavailable("moota_unavailable", detail, retry_after=retry_after)
    return UpstreamRefused("moota_error", f"Moota refused the request: {exc.message}")
