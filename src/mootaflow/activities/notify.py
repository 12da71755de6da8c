"""Telling people: the customer by email (invoice attached), the merchant by signed callback.

Both are idempotent per payment: a row in `notification` records a success, and
a retried activity that finds it does nothing. Permanent refusals (a 5xx from
the mail server, a 4xx other than 408/429 from the merchant) are recorded and
raised as non-retryable, so they end in a visible state instead of looping.
"""

import json
import logging
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from mootaflow.activities import contracts
from mootaflow.activities.contracts import FinanceNotice, NotifyResult
from mootaflow.activities.mail import PermanentMailError, TransientMailError, deliver
from mootaflow.domain.money import format_rupiah
from mootaflow.domain.moota import JAKARTA
from mootaflow.domain.payments import NotificationKind, finance_notice
from mootaflow.domain.settings import Settings
from mootaflow.domain.signature import sign
from mootaflow.store import invoices, notifications, orders, payments
from mootaflow.store.db import Sessions
from mootaflow.store.tables import Invoice, Order, Payment

log = logging.getLogger("mootaflow.activities")

CUSTOMER_EMAIL = NotificationKind.CUSTOMER_EMAIL
MERCHANT_CALLBACK = NotificationKind.MERCHANT_CALLBACK
SIGNATURE_HEADER = "X-Mootaflow-Signature"
_RETRYABLE_STATUS = {408, 429}


class NotifyActivities:
    def __init__(self, sessions: Sessions, settings: Settings, http: httpx.AsyncClient) -> None:
        self._sessions = sessions
        self._settings = settings
        self._http = http

    @activity.defn(name=contracts.NOTIFY_CUSTOMER.name)
    async def notify_customer(self, mutation_id: str) -> NotifyResult:
        """Email the invoice to the customer, once."""
        async with self._sessions() as session, session.begin():
            if sent := await notifications.already_sent(session, CUSTOMER_EMAIL, mutation_id):
                return NotifyResult("already_sent", sent.detail)
            payment, order, invoice = await _paid_with_invoice(session, mutation_id)
        if not order.customer_email:
            return await self._record(CUSTOMER_EMAIL, mutation_id, "skipped", "no customer email")
        message = self._invoice_email(payment, order, invoice)
        try:
            where = await deliver(self._settings, message, name=invoice.number)
        except PermanentMailError as exc:
            await self._record(CUSTOMER_EMAIL, mutation_id, "failed", str(exc))
            raise ApplicationError(
                f"email to {order.customer_email} refused: {exc}",
                type="EmailRejected",
                non_retryable=True,
            ) from None
        except TransientMailError as exc:
            raise ApplicationError(
                f"mail server unavailable: {exc}", type="EmailDeferred"
            ) from None
        return await self._record(CUSTOMER_EMAIL, mutation_id, "sent", where)

    @activity.defn(name=contracts.NOTIFY_MERCHANT.name)
    async def notify_merchant(self, mutation_id: str) -> NotifyResult:
        """POST a signed `order.paid` event to the merchant's callback URL, once."""
        url, secret = self._settings.merchant_callback_url, self._settings.merchant_callback_secret
        if not url or not secret:
            return NotifyResult("skipped", "no merchant callback configured")
        async with self._sessions() as session, session.begin():
            if sent := await notifications.already_sent(session, MERCHANT_CALLBACK, mutation_id):
                return NotifyResult("already_sent", sent.detail)
            payment, order, invoice = await _paid_with_invoice(session, mutation_id)
        key = f"order.paid:{order.ref}"
        body = callback_body(key, payment, order, invoice)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "mootaflow",
            "Idempotency-Key": key,
            "X-Mootaflow-Event": "order.paid",
            SIGNATURE_HEADER: sign(body, secret),
        }
        try:
            response = await self._http.post(url, content=body, headers=headers, timeout=15)
        except httpx.HTTPError as exc:
            raise ApplicationError(
                f"merchant callback failed: {type(exc).__name__}: {exc}", type="CallbackUnavailable"
            ) from None
        status = response.status_code
        if 200 <= status < 300:
            return await self._record(MERCHANT_CALLBACK, mutation_id, "sent", f"HTTP {status}")
        if status >= 500 or status in _RETRYABLE_STATUS:
            raise ApplicationError(f"merchant answered HTTP {status}", type="CallbackUnavailable")
        await self._record(MERCHANT_CALLBACK, mutation_id, "failed", f"HTTP {status}")
        raise ApplicationError(
            f"merchant refused the callback: HTTP {status}",
            type="CallbackRejected",
            non_retryable=True,
        )

    @activity.defn(name=contracts.NOTIFY_FINANCE.name)
    async def notify_finance(self, notice: FinanceNotice) -> NotifyResult:
        """Tell finance a payment waits for their decision (and remind them later)."""
        kind = finance_notice(notice.reminder)
        address = self._settings.finance_email
        if address is None and self._settings.smtp_host:
            return NotifyResult("skipped", "no finance email configured")
        async with self._sessions() as session, session.begin():
            if sent := await notifications.already_sent(session, kind, notice.mutation_id):
                return NotifyResult("already_sent", sent.detail)
            payment = await payments.get_payment(session, notice.mutation_id)
            if payment is None:
                raise ApplicationError(
                    f"no payment {notice.mutation_id}", type="UnknownPayment", non_retryable=True
                )
        message = self._finance_email(payment, notice, address or "finance@localhost")
        try:
            where = await deliver(
                self._settings, message, name=f"finance-{notice.mutation_id}-{notice.reminder}"
            )
        except PermanentMailError as exc:
            await self._record(kind, notice.mutation_id, "failed", str(exc))
            raise ApplicationError(
                f"email to finance refused: {exc}", type="EmailRejected", non_retryable=True
            ) from None
        except TransientMailError as exc:
            raise ApplicationError(
                f"mail server unavailable: {exc}", type="EmailDeferred"
            ) from None
        return await self._record(kind, notice.mutation_id, "sent", where)

    def _finance_email(self, payment: Payment, notice: FinanceNotice, to: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._settings.mail_from
        message["To"] = to
        prefix = f"Reminder {notice.reminder}: " if notice.reminder else ""
        message["Subject"] = (
            f"{prefix}payment of {format_rupiah(payment.amount)} needs a decision "
            f"({payment.flag_reason})"
        )
        message["Message-ID"] = f"<finance.{notice.reminder}.{payment.mutation_id}@mootaflow>"
        candidates = ", ".join(json.loads(payment.candidates)) or "none"
        message.set_content(
            f"A payment waits for a decision.\n\n"
            f"  reason       {payment.flag_reason}\n"
            f"  amount       {format_rupiah(payment.amount)}\n"
            f"  account      {payment.account_number}\n"
            f"  description  {payment.description}\n"
            f"  note         {payment.note}\n"
            f"  candidates   {candidates}\n"
            f"  mutation     {payment.mutation_id}\n"
            f"  workflow     {notice.workflow_id}\n\n"
            f"Decide with:\n"
            f"  mootaflow approve {payment.mutation_id} --by NAME [--order ORDER_REF]\n"
            f"  mootaflow reject {payment.mutation_id} --by NAME --reason TEXT\n"
            f"or POST /api/payments/{payment.mutation_id}/approve (or /reject).\n"
        )
        return message

    async def _record(self, kind: str, mutation_id: str, status: str, detail: str) -> NotifyResult:
        async with self._sessions() as session:
            await notifications.record(
                session, kind, mutation_id, status, detail, datetime.now(UTC)
            )
        log.info(
            f"{kind} {status}",
            extra={
                "mutation_id": mutation_id,
                "workflow_id": activity.info().workflow_id,
                "detail": detail,
            },
        )
        return NotifyResult(status, detail)

    def _invoice_email(self, payment: Payment, order: Order, invoice: Invoice) -> EmailMessage:
        assert order.customer_email is not None and invoice.pdf is not None
        message = EmailMessage()
        message["From"] = self._settings.mail_from
        message["To"] = formataddr((order.customer_name, order.customer_email))
        message["Subject"] = f"Payment received: {format_rupiah(payment.amount)} ({order.ref})"
        # Stable per invoice, so a receiving system can recognise a repeat.
        message["Message-ID"] = f"<{invoice.number}.{payment.mutation_id}@mootaflow>"
        paid = payment.mutation_date.astimezone(JAKARTA).strftime("%Y-%m-%d %H:%M WIB")
        message.set_content(
            f"Hello {order.customer_name or 'customer'},\n\n"
            f"We received your payment of {format_rupiah(payment.amount)} on {paid} "
            f"for order {order.ref}.\n"
            f"Your invoice {invoice.number} is attached.\n\n"
            f"Thank you,\n{self._settings.seller_name}\n"
        )
        message.add_attachment(
            invoice.pdf, maintype="application", subtype="pdf", filename=f"{invoice.number}.pdf"
        )
        return message


def callback_body(key: str, payment: Payment, order: Order, invoice: Invoice) -> bytes:
    """The event, built only from stored facts so every retry sends the same bytes."""
    event = {
        "event": "order.paid",
        "idempotency_key": key,
        "order": {
            "ref": order.ref,
            "merchant_ref": order.merchant_ref,
            "account_number": order.account_number,
            "base_amount": str(order.base_amount),
            "unique_code": order.unique_code,
            "amount": str(order.amount),
            "status": "paid",
            "paid_at": order.paid_at.isoformat() if order.paid_at else None,
        },
        "payment": {
            "mutation_id": payment.mutation_id,
            "amount": str(payment.amount),
            "account_number": payment.account_number,
            "bank_id": payment.bank_id,
            "date": payment.mutation_date.isoformat(),
        },
        "invoice": {"number": invoice.number},
    }
    return json.dumps(event, separators=(",", ":")).encode()


async def _paid_with_invoice(
    session: AsyncSession, mutation_id: str
) -> tuple[Payment, Order, Invoice]:
    payment = await payments.get_payment(session, mutation_id)
    invoice = await invoices.invoice_for_mutation(session, mutation_id)
    if payment is None or payment.order_ref is None or invoice is None:
        raise ApplicationError(
            f"payment {mutation_id} has no invoice yet", type="NotInvoiced", non_retryable=True
        )
    order = await orders.get_order(session, payment.order_ref)
    assert order is not None
    return payment, order, invoice
