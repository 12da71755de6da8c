"""The finance console in a real browser (Debian's Chromium through Playwright) against
a running stack: the receiver under uvicorn, a worker on the dev server, a real SMTP
server. A clerk signs in, sees flagged payments arrive, approves one naming the order
(paid with its invoice, answered at once), rejects another, exports CSV; wrong
credentials, an expired session and forged forms are refused. The run saves the
README's screenshots (docs/console-queue.png, docs/console-payment.png)."""

import asyncio
import csv
import io
from datetime import datetime
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect
from starlette.responses import Response
from temporalio.client import Client
from temporalio.worker import Worker

from mootaflow.domain.moota import JAKARTA
from mootaflow.domain.settings import Settings
from mootaflow.receiver.console.session import SESSION_COOKIE, open_session
from mootaflow.workflows.payment_types import PaymentState
from tests.conftest import TEST_API_KEY
from tests.support.browser import chromium
from tests.support.flows import create_order
from tests.support.moota import mutation, php_body_of, post_signed
from tests.support.servers import RunningReceiver
from tests.support.smtp import SmtpServer
from tests.support.temporal import settled

TOKEN = "sari-finance-token"
SECRET = "browser-test-console-secret-0123"
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "finance_tokens": [f"Sari:{TOKEN}", "Budi:budi-finance-token"],
            "console_session_secret": [SECRET],
            "language": "en",
            "temporal_ui_url": "http://127.0.0.1:8233",
        }
    )


async def _sign_in(page: Page, base: str, token: str) -> None:
    await page.goto(f"{base}/finance/signin")
    await page.fill("input[name=token]", token)
    await page.click("button[type=submit]")


async def _wait_for_card(page: Page, mutation_id: str, timeout: float = 30.0) -> None:
    """Reload the queue until the payment arrives, as a clerk would."""
    async with asyncio.timeout(timeout):
        while not await page.locator(f"#payment-{mutation_id}").count():
            await asyncio.sleep(0.5)
            await page.reload()


async def test_a_clerk_decides_in_the_browser(
    settings: Settings,
    receiver: RunningReceiver,
    client: Client,
    worker: Worker,
    smtp: SmtpServer,
) -> None:
    base = receiver.url
    async with chromium() as browser:
        page = await browser.new_page()

        # Credentials that are not a finance token are refused, and say why.
        await page.goto(f"{base}/finance")
        await expect(page).to_have_url(f"{base}/finance/signin?why=required&next=%2Ffinance%2F")
        await _sign_in(page, base, "not-a-finance-token")
        await expect(page.locator("#signin-error")).to_contain_text("invalid finance token")
        await _sign_in(page, base, TEST_API_KEY)
        await expect(page.locator("#signin-error")).to_contain_text("merchant API key")
        await _sign_in(page, base, TOKEN)
        await expect(page).to_have_url(f"{base}/finance/queue")
        await expect(page.locator("#who")).to_have_text("Sari")
        await expect(page.locator("main")).to_contain_text("Nothing is waiting")

        # Two transfers nobody can match arrive from Moota (a signed delivery).
        order = await create_order(receiver, customer_email="budi@example.com")
        typo = mutation(amount=int(order["amount"]) - 1000, description="TRSF E-BANKING CR BUDI")
        personal = mutation(amount=50000, description="TRSF E-BANKING CR KIRIMAN PRIBADI")
        response = await post_signed(receiver.http, php_body_of(typo, personal))
        assert response.status_code == 200, response.text
        await _wait_for_card(page, typo["mutation_id"])
        await _wait_for_card(page, personal["mutation_id"])
        card = page.locator(f"#payment-{typo['mutation_id']}")
        await expect(card).to_contain_text("No order has this amount")
        await expect(card).to_contain_text("TRSF E-BANKING CR BUDI")
        # The customer's order is an open order of a near amount on that account.
        await expect(card).to_contain_text(order["ref"])
        await expect(page.locator("#count-queue")).to_have_text("2")
        DOCS.mkdir(exist_ok=True)
        await page.screenshot(path=str(DOCS / "console-queue.png"), full_page=True)

        # A form without its CSRF token (here: removed from the page) is refused.
        reject = page.locator(f"#reject-{personal['mutation_id']}")
        await reject.locator("input[name=reason]").fill("forged")
        await reject.evaluate("form => form.querySelector('input[name=csrf]').remove()")
        await reject.locator("button").click()
        await expect(page.locator("#error")).to_contain_text("csrf")
        await page.goto(f"{base}/finance/queue")
        await expect(page.locator(f"#payment-{personal['mutation_id']}")).to_be_visible()

        # Approve naming the order: the answer is shown at once.
        approve = page.locator(f"#approve-{typo['mutation_id']}")
        await approve.locator(f"input[value='{order['ref']}']").check()
        await approve.locator("input[name=note]").fill("customer typed the amount wrong")
        # Rp 1.000 short: finance lets the customer off the rest.
        await approve.locator("select[name=difference]").select_option("accept")
        await approve.locator("button").click()
        flash = page.locator("#flash")
        await expect(flash).to_contain_text(f"{typo['mutation_id']}: approved by Sari")
        await expect(flash).to_contain_text(f"booked to order {order['ref']}, invoice INV-")
        await expect(flash).to_contain_text(f"paid {order['ref']}")
        await expect(page.locator(f"#payment-{typo['mutation_id']}")).to_have_count(0)

        # Reject the other one, with a reason.
        reject = page.locator(f"#reject-{personal['mutation_id']}")
        await reject.locator("input[name=reason]").fill("personal transfer to the owner")
        await reject.locator("button").click()
        await expect(flash).to_contain_text(f"{personal['mutation_id']}: rejected by Sari")
        await expect(page.locator("main")).to_contain_text("Nothing is waiting")

        # The paid payment's page: paid, its invoice, the whole story.
        final = await _finished(client, typo["mutation_id"])
        assert (final.status, final.order_ref) == ("paid", order["ref"])
        await page.goto(f"{base}/finance/payments/{typo['mutation_id']}")
        await expect(page.locator("#status")).to_have_text("paid")
        await expect(page.locator("#invoice")).to_have_text(final.invoice_number or "?")
        timeline = page.locator("#timeline")
        for step in ("Received from Moota", "Flagged for finance", "Approved", "Booked"):
            await expect(timeline).to_contain_text(step)
        await expect(timeline).to_contain_text("Invoice issued")
        await expect(timeline).to_contain_text("Email to customer")
        await expect(timeline).to_contain_text("Sari: " + order["ref"])
        link = page.locator("#temporal-link")
        await expect(link).to_have_attribute(
            "href",
            f"http://127.0.0.1:8233/namespaces/default/workflows/moota-mutation-{typo['mutation_id']}",
        )
        await page.screenshot(path=str(DOCS / "console-payment.png"), full_page=True)
        # The invoice link serves the PDF to the signed-in clerk (with the browser's cookies).
        href = await page.locator("#invoice a").get_attribute("href")
        pdf = await page.request.get(f"{base}{href}")
        assert pdf.ok and (await pdf.body()).startswith(b"%PDF")
        assert len(smtp.sink.to("budi@example.com")) == 1

        # Export CSV from the search page.
        today = datetime.now(JAKARTA).date().isoformat()
        await page.goto(f"{base}/finance/search")
        export = page.locator("#export")
        await export.locator("input[name=from]").fill(today)
        await export.locator("input[name=to]").fill(today)
        async with page.expect_download() as download:
            await export.locator("button").click()
        saved = await (await download.value).path()
        rows = {r["mutation_id"]: r for r in csv.DictReader(io.StringIO(saved.read_text()))}
        assert rows[typo["mutation_id"]]["status"] == "paid"
        assert rows[typo["mutation_id"]]["invoice_number"] == final.invoice_number
        assert rows[typo["mutation_id"]]["decided_by"] == "Sari"
        assert rows[personal["mutation_id"]]["status"] == "rejected"

        # Search finds it by the order it paid.
        await page.fill("#search input[name=order_ref]", order["ref"])
        await page.click("#search button")
        await expect(page.locator("#results")).to_contain_text(typo["mutation_id"])

        await _refusals(browser, page, base, settings)


async def _finished(client: Client, mutation_id: str) -> PaymentState:
    handle = client.get_workflow_handle(f"moota-mutation-{mutation_id}", result_type=PaymentState)
    await settled(client, f"moota-mutation-{mutation_id}")
    return await asyncio.wait_for(handle.result(), 60)


async def _refusals(browser: BrowserContext, page: Page, base: str, settings: Settings) -> None:
    """A form posted from another site, and an expired session."""
    # Another site's page posting a decision: no CSRF token, and SameSite keeps the
    # session cookie home; nothing is applied.
    forged = await browser.new_page()
    await forged.set_content(
        f'<form method="post" action="{base}/finance/payments/x/reject">'
        '<input name="reason" value="forged"><button>go</button></form>'
    )
    async with forged.expect_navigation():
        await forged.click("button")
    assert "Error 401" in await forged.content() or "Error 403" in await forged.content()
    await forged.close()

    # An expired session (minted by the console's own code, an hour that lasted 1 s).
    expired = Response()
    open_session(
        expired, settings.model_copy(update={"console_session_hours": 1 / 3600}), "Sari", TOKEN
    )
    value = expired.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    await asyncio.sleep(2)
    await browser.clear_cookies()
    await browser.add_cookies([{"name": SESSION_COOKIE, "value": value, "url": f"{base}/finance/"}])
    await page.goto(f"{base}/finance/queue")
    await expect(page).to_have_url(f"{base}/finance/signin?why=expired&next=%2Ffinance%2Fqueue")
    await expect(page.locator("#signin-error")).to_contain_text("Your session has ended")
