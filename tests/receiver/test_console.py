"""The finance console over real HTTP (no browser): sign-in, cookies, CSRF, refusals,
and the pages with rows in the database. The browser tests drive the same pages
through Chromium with a worker deciding for real (tests/workflows/test_console_browser.py)."""

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from mootaflow.domain.allocations import Difference, Line
from mootaflow.domain.matching import FlagReason
from mootaflow.domain.money import format_rupiah
from mootaflow.domain.settings import Settings
from mootaflow.store import allocations
from mootaflow.store.db import Sessions
from tests.conftest import TEST_API_KEY
from tests.support import ledger
from tests.support.console import Clerk, csrf_of
from tests.support.moota import body_of, mutation, post_signed
from tests.support.servers import RunningReceiver, running_receiver

TOKEN = "sari-finance-token"
SECRET = "console-test-secret-0123456789"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "finance_tokens": [f"Sari:{TOKEN}"],
            "console_session_secret": [SECRET],
            "language": "en",
        }
    )


async def test_sign_in_sets_a_private_signed_session(receiver: RunningReceiver) -> None:
    clerk = Clerk(receiver)
    # Without a session every page leads to sign-in, remembering where it was going.
    away = await clerk.get("/finance/queue")
    assert away.status_code == 303
    assert away.headers["location"].startswith("/finance/signin?why=required&next=%2Ffinance")
    signed = await clerk.sign_in(TOKEN)
    assert (signed.status_code, signed.headers["location"]) == (303, "/finance/queue")
    [session_cookie] = [c for c in clerk.set_cookies if c.startswith("mootaflow_console=")]
    flags = {part.strip().lower() for part in session_cookie.split(";")}
    assert {"httponly", "samesite=lax", "secure", "path=/finance"} <= flags
    # The token itself is never in a cookie.
    assert TOKEN not in " ".join(clerk.set_cookies)
    queue = await clerk.get("/finance/queue")
    assert queue.status_code == 200
    assert "Signed in as" in queue.text and ">Sari<" in queue.text
    assert "default-src 'none'" in queue.headers["content-security-policy"]
    assert queue.headers["cache-control"] == "no-store"
    for page in ("unresolved", "search", "daily", "decisions", "quarantined"):
        assert (await clerk.get(f"/finance/{page}")).status_code == 200, page
    css = await clerk.get("/finance/static/console.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]

    signed_out = await clerk.post("/finance/signout", {"csrf": csrf_of(queue.text)})
    assert signed_out.status_code == 303
    assert (await clerk.get("/finance/queue")).status_code == 303


async def test_wrong_token_merchant_key_and_forged_forms_are_refused(
    receiver: RunningReceiver,
) -> None:
    clerk = Clerk(receiver)
    wrong = await clerk.sign_in("not-a-finance-token")
    assert wrong.status_code == 401
    assert "invalid finance token" in wrong.text
    merchant = await clerk.sign_in(TEST_API_KEY)
    assert merchant.status_code == 403
    assert "merchant API key" in merchant.text
    assert "mootaflow_console" not in clerk.cookies

    # Sign-in without the form's token (a login CSRF from another site).
    forged = await Clerk(receiver).post("/finance/signin", {"token": TOKEN})
    assert forged.status_code == 403
    assert "mootaflow_console" not in clerk.cookies

    await clerk.sign_in(TOKEN)
    no_csrf = await clerk.post("/finance/payments/m1/reject", {"reason": "forged"})
    assert no_csrf.status_code == 403
    assert "csrf" in no_csrf.text
    bad_csrf = await clerk.post("/finance/signout", {"csrf": "guess"})
    assert bad_csrf.status_code == 403
    # A JSON body is not a form.
    as_json = await receiver.http.post(
        "/finance/payments/m1/reject",
        json={"reason": "x"},
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in clerk.cookies.items())},
    )
    assert as_json.status_code == 415
    # The API's bearer token is no session.
    bearer = await receiver.http.get("/finance/queue", headers={"Authorization": f"Bearer {TOKEN}"})
    assert bearer.status_code == 303


async def test_a_tampered_or_expired_session_is_refused(settings: Settings) -> None:
    short = settings.model_copy(update={"console_session_hours": 1 / 3600})
    async with running_receiver(short) as receiver:
        clerk = Clerk(receiver)
        await clerk.sign_in(TOKEN)
        assert (await clerk.get("/finance/queue")).status_code == 200
        value = clerk.cookies["mootaflow_console"]
        clerk.cookies["mootaflow_console"] = value[:-2] + ("AA" if value[-2:] != "AA" else "BB")
        tampered = await clerk.get("/finance/queue")
        assert tampered.headers["location"].startswith("/finance/signin?why=expired")
        clerk.cookies["mootaflow_console"] = value
        await asyncio.sleep(2.1)
        expired = await clerk.get("/finance/queue")
        assert expired.status_code == 303
        assert expired.headers["location"].startswith("/finance/signin?why=expired")
        form = await clerk.get(expired.headers["location"])
        assert "Your session has ended" in form.text
        # A form posted with an expired session is refused, not applied.
        refused = await clerk.post("/finance/payments/m1/reject", {"reason": "x", "csrf": "c"})
        assert refused.status_code == 401


async def test_a_changed_token_ends_open_sessions(settings: Settings) -> None:
    async with running_receiver(settings) as receiver:
        clerk = Clerk(receiver)
        await clerk.sign_in(TOKEN)
        cookie = clerk.cookies["mootaflow_console"]
    rotated = settings.model_copy(update={"finance_tokens": ["Sari:a-brand-new-token"]})
    async with running_receiver(rotated) as receiver:
        clerk = Clerk(receiver)
        clerk.cookies["mootaflow_console"] = cookie
        assert (await clerk.get("/finance/queue")).status_code == 303


async def test_replicas_sharing_the_secret_share_sessions(settings: Settings) -> None:
    async with running_receiver(settings) as one, running_receiver(settings) as two:
        clerk = Clerk(one)
        await clerk.sign_in(TOKEN)
        other = Clerk(two)
        other.cookies = dict(clerk.cookies)
        assert (await other.get("/finance/queue")).status_code == 200
    # Rotation: a new secret first, the old one still accepted.
    rotated = settings.model_copy(
        update={"console_session_secret": ["console-new-secret-abcdefghijk", SECRET]}
    )
    async with running_receiver(rotated) as three:
        other = Clerk(three)
        other.cookies = dict(clerk.cookies)
        assert (await other.get("/finance/queue")).status_code == 200


async def test_console_is_off_without_a_secret(settings: Settings) -> None:
    off = settings.model_copy(update={"console_session_secret": []})
    async with running_receiver(off) as receiver:
        page = await receiver.http.get("/finance/signin")
        assert page.status_code == 503
        assert "MOOTAFLOW_CONSOLE_SESSION_SECRET" in page.text


@pytest.fixture
async def clerk(receiver: RunningReceiver) -> AsyncIterator[Clerk]:
    clerk = Clerk(receiver)
    await clerk.sign_in(TOKEN)
    yield clerk


async def test_queue_shows_what_a_decision_needs(clerk: Clerk, sessions: Sessions) -> None:
    order = await ledger.new_order(sessions, 150000, customer_name="Budi")
    near = await ledger.new_order(sessions, 150500)
    other_account = await ledger.new_order(sessions, 150000, account="999888777")
    underpaid = await ledger.flagged(
        sessions,
        FlagReason.UNDERPAID,
        (order.ref,),
        amount=int(order.amount) - 100,
        description="TRSF E-BANKING CR 2611/FTSCY/WS95031 BUDI",
        date="2026-11-26 00:00:00",
    )
    nothing = await ledger.flagged(sessions, FlagReason.NO_MATCH, amount=7777)
    page = await clerk.get("/finance/queue")
    text = page.text
    # Oldest first, reason in words, amount the Indonesian way, the bank's text.
    assert text.index(underpaid) < text.index(nothing)
    assert "Paid less than the order" in text and "No order has this amount" in text
    assert format_rupiah(order.amount - 100) in text
    assert "WS95031 BUDI" in text
    assert "26 Nov 2026</dd>" in text.replace(' <span class="badge">date only</span>', "</dd>")
    assert "date only" in text
    # The flagged order as candidate, and the open order of a near amount; never another
    # account's.
    card = text[text.index(f'id="payment-{underpaid}"') : text.index(f'id="payment-{nothing}"')]
    assert order.ref in card and near.ref in card and other_account.ref not in card
    assert f'value="{order.ref}" checked' in card
    assert 'id="count-queue">2<' in text


async def test_labels_in_bahasa_indonesia(settings: Settings, sessions: Sessions) -> None:
    async with running_receiver(settings.model_copy(update={"language": "id"})) as receiver:
        clerk = Clerk(receiver)
        await clerk.sign_in(TOKEN)
        await ledger.flagged(sessions, FlagReason.NO_MATCH, amount=1234567)
        page = await clerk.get("/finance/queue")
    assert '<html lang="id">' in page.text
    assert "Antrean" in page.text and "Setujui" in page.text and "Tolak" in page.text
    assert "Tidak ada pesanan dengan nominal ini" in page.text
    assert "Rp 1.234.567" in page.text


async def test_payment_page_timeline_and_temporal_link(
    clerk: Clerk, sessions: Sessions, settings: Settings
) -> None:
    order = await ledger.new_order(sessions)
    mutation_id, invoice = await ledger.paid(sessions, order, decided_by="Sari")
    page = await clerk.get(f"/finance/payments/{mutation_id}")
    assert page.status_code == 200
    text = page.text
    steps = ["Received from Moota", "Approved", "Booked: order paid", "Invoice issued"]
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions)
    assert invoice in text and order.ref in text
    # No Temporal UI configured outside dev: no link. Set, a link to the workflow.
    assert "temporal-link" not in text
    pdf = await clerk.get(f"/finance/invoices/{invoice}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    missing = await clerk.get("/finance/payments/nope")
    assert missing.status_code == 404 and "no payment for mutation nope" in missing.text
    nowhere = await clerk.get("/finance/nowhere")
    assert nowhere.status_code == 404 and "text/html" in nowhere.headers["content-type"]


async def test_temporal_ui_link(settings: Settings, sessions: Sessions) -> None:
    linked = settings.model_copy(update={"temporal_ui_url": "http://ui.example:8080/"})
    async with running_receiver(linked) as receiver:
        clerk = Clerk(receiver)
        await clerk.sign_in(TOKEN)
        mutation_id = await ledger.flagged(sessions)
        page = await clerk.get(f"/finance/payments/{mutation_id}")
    expected = f"http://ui.example:8080/namespaces/default/workflows/moota-mutation-{mutation_id}"
    assert f'href="{expected}"' in page.text
    # A flagged payment's page has the decision forms.
    assert f'id="approve-{mutation_id}"' in page.text


async def test_quarantined_and_decisions_pages(
    clerk: Clerk, receiver: RunningReceiver, sessions: Sessions
) -> None:
    bad = mutation(amount="lots")
    response = await post_signed(receiver.http, body_of(bad))
    assert response.json()["quarantined"] == 1
    page = await clerk.get("/finance/quarantined")
    assert bad["mutation_id"] in page.text
    assert "amount" in page.text and "lots" in page.text  # why, and the raw item
    assert "mutation-token-should-not-be-stored" not in page.text  # stored redacted

    order = await ledger.new_order(sessions)
    mutation_id, _ = await ledger.paid(sessions, order, decided_by="Budi")
    decisions = await clerk.get("/finance/decisions")
    assert mutation_id in decisions.text and "Budi" in decisions.text


async def test_search_and_export_from_the_console(clerk: Clerk, sessions: Sessions) -> None:
    order = await ledger.new_order(sessions, 250000)
    mutation_id, invoice = await ledger.paid(sessions, order)
    other = await ledger.flagged(sessions, amount=4321, account_number="555")
    found = await clerk.get(f"/finance/search?amount={order.amount}")
    assert mutation_id in found.text and other not in found.text
    by_account = await clerk.get("/finance/search?account=555")
    assert other in by_account.text and mutation_id not in by_account.text
    by_ref = await clerk.get(f"/finance/search?order_ref={order.ref.lower()}")
    assert mutation_id in by_ref.text
    by_id = await clerk.get(f"/finance/search?mutation_id={other}&status=all")
    assert other in by_id.text
    bad = await clerk.get("/finance/search?from=yesterday")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text

    export = await clerk.get("/finance/export.csv?from=2000-01-01&to=2100-01-01&status=paid")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    lines = export.text.splitlines()
    assert lines[0].startswith("date,mutation_id,account,amount,order")
    assert len(lines) == 2 and invoice in lines[1] and mutation_id in lines[1]


async def test_daily_summary_page(clerk: Clerk, sessions: Sessions) -> None:
    order = await ledger.new_order(sessions, 100000)
    await ledger.paid(sessions, order)
    await ledger.flagged(sessions, amount=5000)
    page = await clerk.get("/finance/daily")
    assert page.status_code == 200
    assert f"1 · Rp {int(order.amount):,}".replace(",", ".") in page.text
    assert "1 · Rp 5.000" in page.text


async def test_refunds_page_lists_what_is_due_and_marks_it_paid(
    clerk: Clerk, sessions: Sessions
) -> None:
    order = await ledger.new_order(sessions, customer_name="Ani", customer_email="ani@x.id")
    mutation_id = await ledger.received(
        sessions, amount=int(order.amount) + 25000, description="TRSF FROM 0123456789 ANI"
    )
    async with sessions.begin() as session:
        done = await session.run_sync(
            allocations.allocate, mutation_id, [Line(order.ref)], Difference.REFUND, "Budi", "typo",
            datetime.now(UTC), timedelta(days=7),
        )  # fmt: skip
    assert done.refund == 25000
    page = await clerk.get("/finance/refunds")
    assert page.status_code == 200
    assert "Rp 25.000" in page.text and "Ani" in page.text and "0123456789" in page.text
    [refund_id] = re.findall(r'id="refund-(\d+)"', page.text)
    marked = await clerk.post(
        f"/finance/refunds/{refund_id}/paid",
        {"csrf": csrf_of(page.text), "reference": "BCA 998877"},
    )
    assert (marked.status_code, marked.headers["location"]) == (303, "/finance/refunds")
    assert f'id="refund-{refund_id}"' not in (await clerk.get("/finance/refunds")).text
    paid = await clerk.get("/finance/refunds?status=paid")
    assert "BCA 998877" in paid.text and "Sari" in paid.text
    garbage = await clerk.post(
        "/finance/refunds/nope/paid", {"csrf": csrf_of(page.text), "reference": "x"}
    )
    assert garbage.status_code == 303  # back to the list, with the reason as a flash
