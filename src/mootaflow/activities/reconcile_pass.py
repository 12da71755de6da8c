"""One reconciliation pass over a Moota account, step by step: Moota's API on one
side, the inbox and the pass's progress in the database on the other.

Plain async code, no Temporal: the activities (`activities.reconcile`) run these
steps one per activity, and `mootaflow reconcile` runs them by hand. Errors are
the API client's (`mootaflow.mootaapi.MootaError`) and the database's.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from mootaflow.activities.contracts import PassSummary
from mootaflow.domain.moota import Mutation
from mootaflow.domain.reconcile import BankRef
from mootaflow.mootaapi import MootaClient
from mootaflow.store import inbox
from mootaflow.store import reconcile as store
from mootaflow.store.db import Sessions, reading
from mootaflow.store.one_call import in_session
from mootaflow.store.reconcile import ListedPage, PageSaved, PassPlan
from mootaflow.store.tables import ReconcilePass

# Starts the payment workflow of a mutation found by reconciliation, given its
# source; returns "started" or "already_started" (temporal/starts.py: start_payment).
StartPayment = Callable[[Mutation, str], Awaitable[str]]

_START_BATCH = 500
_START_CONCURRENCY = 8


class UnknownAccount(LookupError):
    """An account asked for by number or bank id is not among Moota's."""


def summary_of(row: ReconcilePass) -> PassSummary:
    """A pass's counts as the database holds them (whatever retries happened)."""
    assert row.id is not None
    return PassSummary(
        pass_id=row.id,
        bank_id=row.bank_id,
        account_number=row.account_number,
        trigger=row.trigger,
        first_day=row.first_day,
        last_day=row.last_day,
        pages=row.pages,
        listed=row.listed,
        new=row.new,
        known=row.known,
        quarantined=row.quarantined,
        deferred=row.deferred,
        finished=row.finished_at is not None,
    )


class PassSteps:
    def __init__(self, sessions: Sessions, moota: MootaClient) -> None:
        self._sessions = sessions
        self._moota = moota

    async def banks(self, wanted: Sequence[str] = ()) -> list[BankRef]:
        """Moota's accounts (remembered in the database); with `wanted` (account
        numbers or bank ids) only those, else every active one."""
        found = [
            BankRef(b.bank_id, b.account_number, b.label, b.is_active)
            for b in await self._moota.list_banks()
        ]
        async with self._sessions.begin() as session:
            await store.remember_banks(session, found, _now())
        if not wanted:
            return [bank for bank in found if bank.is_active]
        chosen = [bank for bank in found if any(bank.named_by(w) for w in wanted)]
        missing = [w for w in wanted if not any(bank.named_by(w) for bank in found)]
        if missing:
            known = ", ".join(f"{b.account_number} ({b.bank_id})" for b in found) or "none"
            raise UnknownAccount(f"no Moota bank account {', '.join(missing)}; Moota has: {known}")
        return chosen

    async def begin(self, bank: BankRef, plan: PassPlan) -> tuple[ReconcilePass, bool]:
        async with self._sessions.begin() as session:
            return await store.begin_pass(session, bank, plan, _now())

    async def page(self, pass_id: int, number: int) -> PageSaved:
        """List page `number` of the pass from Moota and save it. A page the pass has
        already saved is not asked for again."""
        async with reading(self._sessions) as session:
            run = await store.get_pass(session, pass_id)
        if run is None:
            raise LookupError(f"no reconcile pass {pass_id}")
        if run.finished_at is not None or run.next_page != number:
            return PageSaved(next_page=run.next_page, already_saved=True)
        listed = await self._moota.list_mutations(
            bank_id=run.bank_id,
            start_date=run.first_day,
            end_date=run.last_day,
            page=number,
            per_page=run.per_page,
        )
        page = ListedPage(
            number, listed.accepted, listed.quarantined, listed.next_page, listed.last_page
        )
        async with self._sessions.begin() as session:
            return await store.save_page(session, pass_id, page, _now())

    async def finish(self, pass_id: int) -> PassSummary:
        async with self._sessions.begin() as session:
            return summary_of(await store.finish_pass(session, pass_id, _now()))

    async def summary(self, pass_id: int) -> PassSummary:
        async with reading(self._sessions) as session:
            run = await store.get_pass(session, pass_id)
        if run is None:
            raise LookupError(f"no reconcile pass {pass_id}")
        return summary_of(run)

    async def start_pending(self, pass_id: int, start: StartPayment) -> int:
        """Start the workflows of the pass's inbox rows still pending (this page's,
        and any an earlier attempt could not start); returns how many."""
        async with reading(self._sessions) as session:
            run = await store.get_pass(session, pass_id)
        assert run is not None
        total = 0
        gate = asyncio.Semaphore(_START_CONCURRENCY)

        async def one(pending: inbox.PendingStart) -> str:
            async with gate:
                await start(pending.mutation, pending.source)
            return pending.mutation.mutation_id

        while True:
            async with reading(self._sessions) as session:
                pending = await inbox.pending_starts(
                    session, _START_BATCH, delivery_id=run.delivery_id
                )
            if not pending:
                return total
            # Any failure propagates: the caller (an activity) is retried, and the
            # rows stay pending for it and for the receivers' redrive loop.
            started = await asyncio.gather(*(one(p) for p in pending))
            async with self._sessions.begin() as session:
                await in_session(session, inbox.mark_started, started, _now())
            total += len(started)


def _now() -> datetime:
    return datetime.now(UTC)
