"""Accounting: the payments export (CSV, streamed page by page, any size) and the
daily summary per account."""

import csv
import io
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from mootaflow.domain.money import format_rupiah
from mootaflow.domain.moota import JAKARTA
from mootaflow.domain.paging import Key
from mootaflow.domain.payments import PaymentStatus
from mootaflow.services.params import Days
from mootaflow.store import reports
from mootaflow.store.db import Sessions, reading
from mootaflow.store.reports import ExportRow

CSV_COLUMNS = (
    "date",
    "mutation_id",
    "account",
    "amount",
    "order",
    "invoice_number",
    "unique_code",
    "status",
    "decided_by",
    # The ledger: to orders, shortfall written off, surplus kept, surplus to refund.
    "allocated",
    "written_off",
    "surplus_kept",
    "refund",
)
# Rows read per query: memory stays flat whatever the export's size.
_EXPORT_PAGE = 500
# A spreadsheet runs a cell that starts like a formula (CSV injection): text from
# outside (Moota's ids, people's names) is quoted with a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_SUMMARY_DAYS = 92


async def payments_csv(
    sessions: Sessions, days: Days, statuses: tuple[str, ...]
) -> AsyncIterator[str]:
    """The export as CSV text: the header, then one chunk per page of rows."""
    yield _csv_lines([CSV_COLUMNS])
    after: Key | None = None
    while True:
        async with reading(sessions) as session:
            page = await reports.export_page(
                session, days.since, days.before, statuses, _EXPORT_PAGE, after
            )
        if page.items:
            yield _csv_lines([_csv_row(row) for row in page.items])
        if page.next is None:
            return
        after = page.next


def _csv_row(row: ExportRow) -> list[str]:
    local = row.mutation_date.astimezone(JAKARTA)
    # A date-only bank date is a day, not midnight: write the day.
    moment = local.strftime("%Y-%m-%d") if row.date_only else local.strftime("%Y-%m-%d %H:%M:%S")
    return [
        moment,
        _cell(row.mutation_id),
        _cell(row.account_number),
        # A plain number, so spreadsheets sum it (the console shows "Rp 150.123").
        str(row.amount),
        _cell(row.order_ref or ""),
        row.invoice_number or "",
        f"{row.unique_code:03d}" if row.unique_code is not None else "",
        row.status,
        _cell(row.decided_by or ""),
        str(row.allocated),
        str(row.written_off),
        str(row.surplus),
        str(row.refund),
    ]


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_lines(rows: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue()


# What the summary counts, by the payment's status: money booked to orders, money
# waiting for finance, money nobody decided about in time, and money finance said is
# not an order payment. Debits and test transfers (ignored) are not money in.
SUMMARY_BUCKETS: dict[str, str] = {
    PaymentStatus.PAID: "paid",
    PaymentStatus.AWAITING_APPROVAL: "flagged",
    PaymentStatus.UNRESOLVED: "unresolved",
    PaymentStatus.REJECTED: "unmatched",
}


@dataclass
class Bucket:
    count: int = 0
    total: Decimal = Decimal(0)

    def view(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "total": str(self.total),
            "total_display": format_rupiah(self.total),
        }


# Where the money of paid transfers went (the ledger), and what orders were let off.
LEDGER_NAMES = ("allocated", "surplus_kept", "refunds", "written_off")


@dataclass
class DayRow:
    day: date
    account_number: str
    buckets: dict[str, Bucket] = field(
        default_factory=lambda: {name: Bucket() for name in SUMMARY_BUCKETS.values()}
    )
    ledger: dict[str, Decimal] = field(
        default_factory=lambda: {name: Decimal(0) for name in LEDGER_NAMES}
    )

    def view(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "account_number": self.account_number,
            **{name: bucket.view() for name, bucket in self.buckets.items()},
            "ledger": _ledger_view(self.ledger),
        }


def _ledger_view(ledger: dict[str, Decimal]) -> dict[str, str]:
    return {name: str(amount) for name, amount in ledger.items()}


def money_in(row: DayRow) -> Decimal:
    """Every rupiah that came in: paid, flagged, unresolved and unmatched."""
    return sum((bucket.total for bucket in row.buckets.values()), Decimal(0))


def accounted(row: DayRow) -> Decimal:
    """Where it went: allocated to orders + refunds + surpluses kept + waiting for
    finance (flagged, unresolved) + said by finance not to be an order payment.
    Equal to money_in(row) to the rupiah."""
    b, ledger = row.buckets, row.ledger
    return (
        ledger["allocated"]
        + ledger["refunds"]
        + ledger["surplus_kept"]
        + b["flagged"].total
        + b["unresolved"].total
        + b["unmatched"].total
    )


async def daily_summary(sessions: Sessions, days: Days, account: str | None) -> list[DayRow]:
    """Per (Jakarta) bank day and account: count and total of each bucket."""
    rows: dict[tuple[date, str], DayRow] = {}
    async with reading(sessions) as session:
        async for tally in reports.tallies(session, days.since, days.before, account):
            bucket_name = SUMMARY_BUCKETS.get(tally.status)
            if bucket_name is None:
                continue
            day = tally.mutation_date.astimezone(JAKARTA).date()
            key = (day, tally.account_number)
            row = rows.get(key) or rows.setdefault(key, DayRow(day, tally.account_number))
            bucket = row.buckets[bucket_name]
            bucket.count += 1
            bucket.total += tally.amount
            for name, amount in zip(LEDGER_NAMES, _ledger_of(tally), strict=True):
                row.ledger[name] += amount
    return [rows[key] for key in sorted(rows)]


def _ledger_of(tally: reports.Tally) -> tuple[Decimal, ...]:
    return (tally.allocated, tally.surplus, tally.refund, tally.written_off)


def summary_view(days: Days, account: str | None, rows: list[DayRow]) -> dict[str, Any]:
    totals: defaultdict[str, Bucket] = defaultdict(Bucket)
    ledger = {name: Decimal(0) for name in LEDGER_NAMES}
    for row in rows:
        for name, bucket in row.buckets.items():
            totals[name].count += bucket.count
            totals[name].total += bucket.total
        for name, amount in row.ledger.items():
            ledger[name] += amount
    return {
        "from": days.first.isoformat(),
        "to": days.last.isoformat(),
        "account": account,
        "days": [row.view() for row in rows],
        "totals": {name: totals[name].view() for name in SUMMARY_BUCKETS.values()},
        "ledger": _ledger_view(ledger),
    }
