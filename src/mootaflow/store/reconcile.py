"""Reconciliation's SQL: Moota accounts and their cursors, passes and their pages,
and the per-account throttle of customers' "I have paid" checks.

A pass's progress (the next page, the counts) is saved in the same transaction as
the inbox rows its page found, so a pass interrupted anywhere resumes where its
last saved page left off, and a page saved twice (a retried activity, two runs on
one pass) counts once.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from mootaflow.domain.moota import Accepted, Quarantined
from mootaflow.domain.reconcile import (
    RECONCILE,
    BankRef,
    Trigger,
    first_day,
    left_to_webhook,
    next_cursor,
    refresh_wait,
)
from mootaflow.store.db import insert_ignore, table_of
from mootaflow.store.inbox import insert_listed
from mootaflow.store.one_call import in_session
from mootaflow.store.tables import Delivery, MootaAccount, ReconcilePass

RECONCILE_VERDICT = "reconcile"


@dataclass(frozen=True)
class PassPlan:
    """How a new pass lists (a resumed pass keeps its own)."""

    trigger: Trigger
    overlap_days: int
    per_page: int
    min_age: timedelta = timedelta()
    # A hand pass's range; otherwise from the cursor (domain.reconcile.first_day).
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class PageSaved:
    next_page: int | None
    listed: int = 0
    new_ids: tuple[str, ...] = ()
    known: int = 0
    quarantined: int = 0
    deferred: int = 0
    # Saved before (a retry, or another run on the same pass): nothing counted now.
    already_saved: bool = False
    last_page: int | None = None


async def remember_banks(session: AsyncSession, banks: Sequence[BankRef], at: datetime) -> None:
    """Keep each bank's account number (the check endpoint maps orders with it)."""
    for bank in banks:
        await _account(session, bank, at)
        await session.execute(
            update(MootaAccount)
            .where(col(MootaAccount.bank_id) == bank.bank_id)
            .values(account_number=bank.account_number, label=bank.label, updated_at=at)
        )


async def banks_for_account(session: AsyncSession, account_number: str) -> list[MootaAccount]:
    result = await session.execute(
        select(MootaAccount).where(col(MootaAccount.account_number) == account_number)
    )
    return list(result.scalars())


async def accounts(session: AsyncSession) -> list[MootaAccount]:
    result = await session.execute(select(MootaAccount).order_by(col(MootaAccount.bank_id)))
    return list(result.scalars())


async def begin_pass(
    session: AsyncSession, bank: BankRef, plan: PassPlan, now: datetime
) -> tuple[ReconcilePass, bool]:
    """The pass to run on `bank`, and whether it resumes an interrupted one.

    A scheduled pass resumes the account's unfinished scheduled pass, if any; checks
    and hand passes are always new (they must see what Moota has now, from page 1).
    """
    account = await _account(session, bank, now)
    if plan.trigger == "schedule" and account.pass_id is not None:
        running = await session.get(ReconcilePass, account.pass_id)
        if running is not None and running.finished_at is None:
            return running, True
    start = plan.since or first_day(account.cursor, now, plan.overlap_days)
    deliveries = table_of(Delivery)
    delivery_id = await session.scalar(
        insert(deliveries)
        .values(
            received_at=now,
            source_ip="moota-api",
            verdict=RECONCILE_VERDICT,
            status_code=200,
            detail=f"{plan.trigger} pass over Moota bank {bank.bank_id} "
            f"(account {bank.account_number}) from {start.isoformat()}"
            + (f" to {plan.until.isoformat()}" if plan.until else ""),
            headers="{}",
            received=0,
            duplicates=0,
            quarantined=0,
        )
        .returning(deliveries.c.id)
    )
    assert delivery_id is not None
    row = ReconcilePass(
        bank_id=bank.bank_id,
        account_number=bank.account_number,
        trigger=plan.trigger,
        first_day=start,
        last_day=plan.until,
        per_page=plan.per_page,
        min_age_seconds=int(plan.min_age.total_seconds()),
        delivery_id=delivery_id,
        started_at=now,
    )
    session.add(row)
    await session.flush()
    if plan.trigger == "schedule":
        account.pass_id = row.id
    return row, False


@dataclass(frozen=True)
class ListedPage:
    """One page of Moota's mutation listing, parsed."""

    number: int
    accepted: Sequence[Accepted]
    quarantined: Sequence[Quarantined]
    next_page: int | None
    last_page: int | None = None  # as Moota counted when it answered (it grows)

    @property
    def size(self) -> int:
        return len(self.accepted) + len(self.quarantined)


async def save_page(
    session: AsyncSession, pass_id: int, page: ListedPage, now: datetime
) -> PageSaved:
    """Page `number` of the pass: its unknown mutations into the inbox (source
    reconcile), its counts, and the next page, in one transaction."""
    run = await session.get(ReconcilePass, pass_id, with_for_update=True)
    if run is None:
        raise LookupError(f"no reconcile pass {pass_id}")
    if run.finished_at is not None or run.next_page != page.number:
        return PageSaved(next_page=run.next_page, already_saved=True)
    grace = timedelta(seconds=run.min_age_seconds)
    fresh = [a for a in page.accepted if not left_to_webhook(a.mutation, now, grace)]
    deferred = len(page.accepted) - len(fresh)
    new_ids = await in_session(
        session, insert_listed, run.delivery_id, now, fresh, page.quarantined, RECONCILE
    )
    known = len(fresh) - len(new_ids)
    run.next_page = page.next_page
    run.pages += 1
    run.listed += page.size
    run.new += len(new_ids)
    run.known += known
    run.quarantined += len(page.quarantined)
    run.deferred += deferred
    await session.execute(
        update(Delivery)
        .where(col(Delivery.id) == run.delivery_id)
        .values(
            received=Delivery.received + page.size,
            duplicates=Delivery.duplicates + known,
            quarantined=Delivery.quarantined + len(page.quarantined),
        )
    )
    return PageSaved(
        next_page=page.next_page,
        listed=page.size,
        new_ids=tuple(new_ids),
        known=known,
        quarantined=len(page.quarantined),
        deferred=deferred,
        last_page=page.last_page,
    )


async def finish_pass(session: AsyncSession, pass_id: int, now: datetime) -> ReconcilePass:
    """Close the pass (idempotent). A scheduled one moves its account's cursor."""
    run = await session.get(ReconcilePass, pass_id, with_for_update=True)
    if run is None:
        raise LookupError(f"no reconcile pass {pass_id}")
    if run.finished_at is not None:
        return run
    if run.next_page is not None:
        raise ValueError(f"reconcile pass {pass_id} has pages left (next {run.next_page})")
    run.finished_at = now
    if run.trigger == "schedule":
        account = await session.get(MootaAccount, run.bank_id, with_for_update=True)
        if account is not None:
            account.cursor = next_cursor(account.cursor, run.started_at)
            if account.pass_id == run.id:
                account.pass_id = None
            account.updated_at = now
    return run


async def get_pass(session: AsyncSession, pass_id: int) -> ReconcilePass | None:
    return await session.get(ReconcilePass, pass_id)


async def recent_passes(session: AsyncSession, limit: int = 20) -> list[ReconcilePass]:
    result = await session.execute(
        select(ReconcilePass).order_by(col(ReconcilePass.id).desc()).limit(limit)
    )
    return list(result.scalars())


async def claim_refresh(
    session: AsyncSession, bank: BankRef, now: datetime
) -> tuple[timedelta | None, datetime | None]:
    """Take the account's refresh slot: (None, previous claim) when taken, or
    (how long to wait, None) inside the window. Atomic across receivers."""
    account = await _account(session, bank, now)
    wait = refresh_wait(account.refreshed_at, now)
    if wait is not None:
        return wait, None
    previous = account.refreshed_at
    account.refreshed_at = now
    return None, previous


async def release_refresh(
    session: AsyncSession, bank_id: str, claimed_at: datetime, previous: datetime | None
) -> None:
    """Give the slot back (Moota refused the refresh), unless someone claimed it since."""
    await session.execute(
        update(MootaAccount)
        .where(col(MootaAccount.bank_id) == bank_id, col(MootaAccount.refreshed_at) == claimed_at)
        .values(refreshed_at=previous)
    )


async def _account(session: AsyncSession, bank: BankRef, at: datetime) -> MootaAccount:
    """The account's row, created if new, locked for this transaction."""
    await session.execute(
        insert_ignore(session, MootaAccount, "bank_id").values(
            bank_id=bank.bank_id,
            account_number=bank.account_number,
            label=bank.label,
            updated_at=at,
        )
    )
    account = await session.get(MootaAccount, bank.bank_id, with_for_update=True)
    assert account is not None
    return account
