"""Finance lists are paged, and the accounting reports: the CSV export (streamed, any
size, the same from the API, the console and the CLI) and the daily summary."""

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from mootaflow.domain.matching import FlagReason
from mootaflow.domain.moota import JAKARTA, parse_mutation
from mootaflow.domain.settings import Settings
from mootaflow.store.db import Sessions, table_of
from mootaflow.store.tables import MutationColumns, Payment
from tests.conftest import TEST_API_KEY
from tests.support import ledger
from tests.support.moota import mutation
from tests.support.processes import clean_env, run_mootaflow
from tests.support.servers import RunningReceiver

TOKEN = "sari-finance-token"
FINANCE = {"Authorization": f"Bearer {TOKEN}"}
EVERYTHING = "from=2000-01-01&to=2100-12-31"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"finance_tokens": [f"Sari:{TOKEN}"]})


async def _bulk(sessions: Sessions, count: int, status: str, day: str) -> list[str]:
    """`count` payments with one bank date, written in a few statements."""
    rows = []
    for n in range(count):
        parsed = parse_mutation(
            mutation(amount=10000 + n, date=f"{day} 10:00:00", mutation_id=f"bulk-{day}-{n:05d}")
        )
        at = datetime.now(UTC)
        values = MutationColumns.values_of(parsed)
        rows.append({**values, "status": status, "recorded_at": at, "updated_at": at})
    async with sessions.begin() as session:
        for start in range(0, len(rows), 200):
            await session.execute(insert(table_of(Payment)).values(rows[start : start + 200]))
    return [row["mutation_id"] for row in rows]


async def test_payment_lists_are_paged(receiver: RunningReceiver, sessions: Sessions) -> None:
    base = datetime.now(UTC) - timedelta(hours=1)
    ids = [
        await ledger.flagged(sessions, at=base + timedelta(seconds=n), amount=1000 + n)
        for n in range(7)
    ]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        url = "/api/payments?status=awaiting_approval&limit=3"
        response = await receiver.http.get(
            url + (f"&cursor={cursor}" if cursor else ""), headers=FINANCE
        )
        assert response.status_code == 200
        body = response.json()
        pages += 1
        seen += [p["mutation_id"] for p in body["payments"]]
        assert body["count"] == len(body["payments"])
        if not body["has_more"]:
            assert body["next_cursor"] is None
            break
        cursor = body["next_cursor"]
    # Oldest first, each exactly once, and the last page says it is the last.
    assert (seen, pages) == (ids, 3)
    # A default page says when more exists rather than cutting silently.
    default = (await receiver.http.get("/api/payments?limit=5", headers=FINANCE)).json()
    assert (default["count"], default["has_more"]) == (5, True)

    for query, error in (
        ("limit=0", "bad_limit"),
        ("limit=501", "bad_limit"),
        ("limit=x", "bad_limit"),
        ("cursor=not-ours", "bad_cursor"),
        ("cursor=" + "A" * 600, "bad_cursor"),
        ("status=lost", "bad_status"),
        ("from=26-11-2026", "bad_from"),
        ("amount=abc", "bad_amount"),
    ):
        refused = await receiver.http.get(f"/api/payments?{query}", headers=FINANCE)
        assert (refused.status_code, refused.json()["error"]) == (400, error), query


async def test_payments_can_be_searched(receiver: RunningReceiver, sessions: Sessions) -> None:
    order = await ledger.new_order(sessions, 200000)
    paid, _ = await ledger.paid(sessions, order)
    elsewhere = await ledger.flagged(
        sessions, FlagReason.NO_MATCH, amount=4321, account_number="555", date="2026-01-05 09:00:00"
    )
    candidate = await ledger.flagged(sessions, FlagReason.AMBIGUOUS, (order.ref, "MF-ZZZZ-ZZZZ"))

    async def found(query: str) -> list[str]:
        response = await receiver.http.get(f"/api/payments?status=all&{query}", headers=FINANCE)
        assert response.status_code == 200, response.text
        return [p["mutation_id"] for p in response.json()["payments"]]

    assert await found(f"amount={order.amount}") == [paid]
    assert await found(f"amount=Rp {int(order.amount):,}".replace(",", ".")) == [paid]
    assert await found("account=555") == [elsewhere]
    # By order: the payment that paid it and one flagged with it as a candidate.
    assert await found(f"order_ref={order.ref.lower().replace('-', '')}") == [paid, candidate]
    assert await found(f"mutation_id={elsewhere}") == [elsewhere]
    assert await found("from=2026-01-05&to=2026-01-05") == [elsewhere]
    assert await found("from=2026-01-06&to=2026-01-06") == []


async def test_other_lists_are_paged_and_need_finance(receiver: RunningReceiver) -> None:
    for path in ("/api/quarantined", "/api/decisions"):
        listed = await receiver.http.get(f"{path}?limit=10", headers=FINANCE)
        assert listed.status_code == 200
        assert (listed.json()["count"], listed.json()["has_more"]) == (0, False)
        merchant = await receiver.http.get(path, headers={"X-API-Key": TEST_API_KEY})
        assert merchant.status_code == 403


async def test_csv_export(receiver: RunningReceiver, sessions: Sessions) -> None:
    order = await ledger.new_order(sessions, 150000)
    paid, invoice = await ledger.paid(
        sessions, order, decided_by="Sari", date="2026-11-26 00:00:00"
    )
    flagged = await ledger.flagged(sessions, amount=7777, date="2026-11-27 09:30:00")
    await ledger.flagged(sessions, amount=8888, date="2026-11-29 09:30:00")  # out of range

    url = "/api/reports/payments.csv?from=2026-11-26&to=2026-11-28"
    response = await receiver.http.get(url, headers=FINANCE)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        'filename="payments-2026-11-26-2026-11-28.csv"' in response.headers["content-disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["mutation_id"] for r in rows] == [paid, flagged]
    assert rows[0] == {
        "date": "2026-11-26",  # the bank gave the day only
        "mutation_id": paid,
        "account": "1234567890",
        "amount": str(int(order.amount)),
        "order": order.ref,
        "invoice_number": invoice,
        "unique_code": f"{order.unique_code:03d}",
        "status": "paid",
        "decided_by": "Sari",
        # The ledger: all of it to the order.
        "allocated": str(int(order.amount)),
        "written_off": "0",
        "surplus_kept": "0",
        "refund": "0",
    }
    assert rows[1]["date"] == "2026-11-27 09:30:00"
    assert (rows[1]["order"], rows[1]["invoice_number"], rows[1]["status"]) == (
        "",
        "",
        "awaiting_approval",
    )
    only_paid = await receiver.http.get(url + "&status=paid", headers=FINANCE)
    assert len(only_paid.text.splitlines()) == 2

    for query, error in (
        ("from=2026-11-26", "bad_range"),
        ("from=2026-11-28&to=2026-11-26", "bad_range"),
        (f"{EVERYTHING}&status=x", "bad_status"),
    ):
        refused = await receiver.http.get(f"/api/reports/payments.csv?{query}", headers=FINANCE)
        assert (refused.status_code, refused.json()["error"]) == (400, error)
    assert (await receiver.http.get(url)).status_code == 401
    merchant = await receiver.http.get(url, headers={"X-API-Key": TEST_API_KEY})
    assert merchant.status_code == 403


async def test_csv_export_of_any_size_is_streamed_in_pages(
    receiver: RunningReceiver, sessions: Sessions, settings: Settings, tmp_path: Path
) -> None:
    ids = await _bulk(sessions, 1234, "paid", "2026-10-01")
    async with receiver.http.stream(
        "GET", f"/api/reports/payments.csv?{EVERYTHING}", headers=FINANCE
    ) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers  # streamed as it is read
        chunks = [chunk async for chunk in response.aiter_text()]
    text = "".join(chunks)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["mutation_id"] for r in rows) == sorted(ids)

    # The CLI writes the same file.
    env = clean_env(MOOTAFLOW_DATABASE_URL=settings.database_url)
    cli = await run_mootaflow(
        "report", "payments", "--from", "2000-01-01", "--to", "2100-12-31", env=env, cwd=tmp_path
    )
    assert cli.code == 0, cli.stderr
    assert cli.stdout.replace("\r\n", "\n") == text.replace("\r\n", "\n")
    bad = await run_mootaflow(
        "report", "payments", "--from", "yesterday", "--to", "2026-01-01", env=env, cwd=tmp_path
    )
    assert bad.code == 2 and "YYYY-MM-DD" in bad.stderr


async def test_daily_summary(receiver: RunningReceiver, sessions: Sessions) -> None:
    order = await ledger.new_order(sessions, 100000)
    await ledger.paid(sessions, order, date="2026-11-26 08:00:00")
    await ledger.flagged(sessions, amount=5000, date="2026-11-26 23:30:00")
    await ledger.flagged(sessions, amount=6000, date="2026-11-26 10:00:00", account_number="777")
    # Past midnight in Jakarta: the next day, though it is still the 26th in UTC.
    await ledger.flagged(sessions, amount=3000, date="2026-11-27 00:30:00")

    response = await receiver.http.get(
        "/api/reports/daily?from=2026-11-26&to=2026-11-27", headers=FINANCE
    )
    assert response.status_code == 200
    body = response.json()
    days = {(d["date"], d["account_number"]): d for d in body["days"]}
    assert sorted(days) == [
        ("2026-11-26", "1234567890"),
        ("2026-11-26", "777"),
        ("2026-11-27", "1234567890"),
    ]
    first = days[("2026-11-26", "1234567890")]
    assert first["paid"] == {
        "count": 1,
        "total": str(int(order.amount)),
        "total_display": f"Rp {int(order.amount):,}".replace(",", "."),
    }
    assert (first["flagged"]["count"], first["flagged"]["total"]) == (1, "5000")
    assert first["unresolved"]["count"] == first["unmatched"]["count"] == 0
    assert first["ledger"] == {
        "allocated": str(int(order.amount)),
        "surplus_kept": "0",
        "refunds": "0",
        "written_off": "0",
    }
    assert body["totals"]["flagged"] == {"count": 3, "total": "14000", "total_display": "Rp 14.000"}

    one_account = await receiver.http.get(
        "/api/reports/daily?from=2026-11-26&to=2026-11-27&account=777", headers=FINANCE
    )
    assert [d["account_number"] for d in one_account.json()["days"]] == ["777"]
    too_long = await receiver.http.get(
        "/api/reports/daily?from=2026-01-01&to=2026-12-31", headers=FINANCE
    )
    assert (too_long.status_code, too_long.json()["error"]) == (400, "bad_range")
    default = await receiver.http.get("/api/reports/daily", headers=FINANCE)
    today = datetime.now(JAKARTA).date()
    assert default.json()["to"] == today.isoformat()
    assert default.json()["from"] == (today - timedelta(days=6)).isoformat()
