"""`mootaflow reconcile`: one pass over Moota's mutations by hand, or the passes' status.

It runs the scheduled passes' steps directly, with Moota's API and the database
only (no Temporal): what it finds goes into the webhook's inbox as `pending`, and
the receivers' redrive loop starts those payments, as it does for a webhook whose
workflow start failed. Use it to go back further than the schedule's overlap
(mootaflow was down for days, a new account), or to see what a range holds.
"""

import asyncio
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError

from mootaflow.activities.contracts import PassSummary
from mootaflow.activities.reconcile_pass import PassSteps, UnknownAccount, summary_of
from mootaflow.cli.orders import with_databases
from mootaflow.domain.money import format_rupiah
from mootaflow.domain.moota import JAKARTA
from mootaflow.domain.settings import Settings
from mootaflow.mootaapi import MootaAuthError, MootaClient, MootaError
from mootaflow.store import inbox
from mootaflow.store import reconcile as store
from mootaflow.store.db import Sessions, reading
from mootaflow.store.reconcile import PageSaved, PassPlan

# Fewer calls against Moota's rate limit than its default of 15 a page.
PER_PAGE = 100
_BAR = 24


@dataclass
class Found:
    summaries: list[PassSummary] = field(default_factory=list)
    new_ids: list[str] = field(default_factory=list)


def reconcile(settings: Settings, since: date, until: date | None, accounts: list[str]) -> int:
    if settings.moota_api_token is None:
        print(
            "error: MOOTAFLOW_MOOTA_API_TOKEN is not set: reconciling needs Moota's API "
            "(a token from Moota's Apps & API page)",
            file=sys.stderr,
        )
        return 2
    try:
        asyncio.run(
            with_databases(settings, lambda d: _run(settings, d.inbox, since, until, accounts))
        )
    except UnknownAccount as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except MootaAuthError as exc:
        print(
            f"error: Moota refused the API token ({exc}): check MOOTAFLOW_MOOTA_API_TOKEN",
            file=sys.stderr,
        )
        return 1
    except MootaError as exc:
        print(
            f"error: Moota API: {exc}. What was listed so far is saved; run the command again.",
            file=sys.stderr,
        )
        return 1
    except SQLAlchemyError as exc:
        print(f"error: database: {type(exc).__name__}: {exc}"[:500], file=sys.stderr)
        return 1
    return 0


async def _run(
    settings: Settings, sessions: Sessions, since: date, until: date | None, accounts: list[str]
) -> Found:
    found = Found()
    client = MootaClient.from_settings(settings)
    assert client is not None  # checked by the caller
    async with client as moota:
        steps = PassSteps(sessions, moota)
        banks = await steps.banks(accounts)
        if not banks:
            print("Moota has no active bank account to reconcile.")
            return found
        days = f"{since.isoformat()} to {until.isoformat() if until else 'today'}"
        print(f"Reconciling {len(banks)} account(s), bank dates {days} ...")
        plan = PassPlan(
            trigger="hand",
            overlap_days=settings.reconcile_overlap_days,
            per_page=PER_PAGE,
            since=since,
            until=until,
        )
        for bank in banks:
            run, _ = await steps.begin(bank, plan)
            assert run.id is not None
            label = f"{bank.label or 'account'} {bank.account_number}"
            progress = Progress(label, sys.stderr)
            page: int | None = run.next_page
            while page is not None:
                saved = await steps.page(run.id, page)
                found.new_ids.extend(saved.new_ids)
                progress.show(page, saved)
                page = saved.next_page
            progress.done()
            found.summaries.append(await steps.finish(run.id))
    await _report(sessions, found)
    return found


class Progress:
    """A bar on a terminal (pages done of Moota's last page); a line per page elsewhere."""

    def __init__(self, label: str, out: TextIO) -> None:
        self._label, self._out = label, out
        self._tty = out.isatty()
        self._listed = self._new = 0

    def show(self, number: int, saved: PageSaved) -> None:
        self._listed += saved.listed
        self._new += len(saved.new_ids)
        total = max(saved.last_page or number, number)
        counts = f"{self._listed} listed, {self._new} new"
        if self._tty:
            filled = round(_BAR * number / total)
            bar = "#" * filled + "-" * (_BAR - filled)
            self._out.write(f"\r  {self._label} [{bar}] page {number}/{total}, {counts}")
        else:
            self._out.write(f"  {self._label}: page {number}/{total}, {counts}\n")
        self._out.flush()

    def done(self) -> None:
        if self._tty:
            self._out.write("\n")
            self._out.flush()


async def _report(sessions: Sessions, found: Found) -> None:
    print()
    print(_table([_row(s) for s in found.summaries]))
    if not found.new_ids:
        print("\nNothing new: every mutation listed was already known.")
        return
    print(f"\n{len(found.new_ids)} mutation(s) no webhook had brought:")
    async with reading(sessions) as session:
        for mutation_id in found.new_ids:
            row = await inbox.get_inbox_row(session, mutation_id)
            if row is None:
                continue
            when = row.mutation_date.astimezone(JAKARTA)
            day = when.strftime("%Y-%m-%d" if row.date_only else "%Y-%m-%d %H:%M")
            print(
                f"  {mutation_id}  {day}  {row.type} {format_rupiah(row.amount)}  "
                f"account {row.account_number}  {row.description[:40]}"
            )
    print(
        "\nThey are in the inbox as pending; a running receiver starts their payments "
        "(source: reconcile) within MOOTAFLOW_REDRIVE_INTERVAL_SECONDS."
    )


def status(settings: Settings) -> int:
    async def load(sessions: Sessions) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        async with reading(sessions) as session:
            known = await store.accounts(session)
        async with reading(sessions) as session:
            recent = await store.recent_passes(session)
        accounts = [
            {
                "bank_id": a.bank_id,
                "account": a.account_number,
                "label": a.label,
                "cursor": _local(a.cursor),
                "pass_under_way": str(a.pass_id or "-"),
                "last_check": _local(a.refreshed_at),
            }
            for a in known
        ]
        passes = [
            {
                "pass": str(p.id),
                "started": _local(p.started_at),
                "trigger": p.trigger,
                **_row(summary_of(p)),
            }
            for p in recent
        ]
        return accounts, passes

    accounts, passes = asyncio.run(with_databases(settings, lambda d: load(d.inbox)))
    if not accounts:
        print("No reconcile pass has run yet.")
        return 0
    print("Accounts\n" + _table(accounts))
    if passes:
        print("\nRecent passes (new: found before any webhook)\n" + _table(passes))
    return 0


def _row(summary: PassSummary) -> dict[str, str]:
    last = summary.last_day.isoformat() if summary.last_day else "today"
    return {
        "account": summary.account_number,
        "days": f"{summary.first_day.isoformat()}..{last}",
        "pages": str(summary.pages),
        "listed": str(summary.listed),
        "new": str(summary.new),
        "known": str(summary.known),
        "quarantined": str(summary.quarantined),
        "deferred": str(summary.deferred),
        "finished": "yes" if summary.finished else "no",
    }


def _table(rows: list[dict[str, str]]) -> str:
    if not rows:
        return "(none)"
    headers = list(rows[0])
    widths = {h: max(len(h), *(len(r[h]) for r in rows)) for h in headers}
    lines = ["  ".join(h.upper().ljust(widths[h]) for h in headers)]
    lines += ["  ".join(r[h].ljust(widths[h]) for h in headers) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def _local(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(JAKARTA).strftime("%Y-%m-%d %H:%M WIB")
