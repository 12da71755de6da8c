"""Telling people: the customer by email (invoice attached), the merchant by signed callback.

Both are idempotent per payment: a row in `notification` records a success, and
a retried activity that finds it does nothing. Permanent refusals (a 5xx from
the mail server, a 4xx other than 408/429 from the merchant) are recorded and
raised as non-retryable, so they end in a visible state instead of looping.
"""

import asyncio
import json
import logging
from datetime import UTC, datetime
from email.message import Message
from email.utils import formataddr

import httpx
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from mootaflow.activities import contracts, ledger_events
from mootaflow.activities.contracts import FinanceNotice, NotifyResult
from mootaflow.activities.mail import Mailer, PermanentMailError, TransientMailError, compose
from mootaflow.domain.money import format_rupiah
from mootaflow.domain.moota import JAKARTA
from mootaflow.domain.payments import NotificationKind, finance_notice
from mootaflow.domain.settings import Settings
from mootaflow.domain.signature import sign
from mootaflow.store import notifications
from mootaflow.store.one_call import OneCall
from mootaflow.store.tables import Invoice, Notification, Order, Payment

log = logging.getLogger("mootaflow.activities")

CUSTOMER_EMAIL = NotificationKind.CUSTOMER_EMAIL
MERCHANT_CALLBACK = NotificationKind.MERCHANT_CALLBACK
SIGNATURE_HEADER = "X-Mootaflow-Signature"
_RETRYABLE_STATUS = {408, 429}
_RECORD_ATTEMPTS = 4


class NotifyActivities:
    def __init__(self, calls: OneCall, settings: Settings, http: httpx.AsyncClient) -> None:
        self._calls = calls
        self._settings = settings
        self._http = http
        self._mail = Mailer(settings)

    @activity.defn(name=contracts.NOTIFY_CUSTOMER.name)
    async def notify_customer(self, mutation_id: str) -> NotifyResult:
        """Email the customer, once: each invoice the transfer completed, or what is
        still due on a partially paid order (and any refund to come)."""
        told = await self._calls.read_session(_to_tell, CUSTOMER_EMAIL, mutation_id)
        if isinstance(told, Notification):
            return NotifyResult("already_sent", told.detail)
        messages = [
            (self._invoice_email(told, order, invoice), invoice.number)
            for order, invoice in told.paid
            if order.customer_email
        ] + [
            (self._partial_email(told, order), f"partial-{order.ref}-{mutation_id}")
            for order in told.partial
            if order.customer_email
        ]
        if not messages:
            return await self._record(CUSTOMER_EMAIL, mutation_id, "skipped", "no customer email")
        where = []
        for message, name in messages:
            try:
                where.append(await self._mail.deliver(message, name=name))
            except PermanentMailError as exc:
                await self._record(CUSTOMER_EMAIL, mutation_id, "failed", str(exc))
                raise ApplicationError(
                    f"email to {message['To']} refused: {exc}",
                    type="EmailRejected",
                    non_retryable=True,
                ) from None
            except TransientMailError as exc:
                raise ApplicationError(
                    f"mail server unavailable: {exc}", type="EmailDeferred"
                ) from None
        return await self._record(CUSTOMER_EMAIL, mutation_id, "sent", ", ".join(where))

    @activity.defn(name=contracts.NOTIFY_MERCHANT.name)
    async def notify_merchant(self, mutation_id: str) -> NotifyResult:
        """POST signed events to the merchant's callback URL: `order.paid` per order the
        transfer completed, `order.partially_paid` per order it left owing, `refund.due`
        for a refund it made due. Each carries its own Idempotency-Key, so a retry that
        sends an event again is recognised as a repeat."""
        # The rule the run's input was set by (temporal/starts.py), read again here.
        if not self._settings.merchant_callback_enabled:
            return NotifyResult("skipped", "no merchant callback configured")
        url, secret = self._settings.merchant_callback_url, self._settings.merchant_callback_secret
        assert url is not None and secret is not None
        told = await self._calls.read_session(_to_tell, MERCHANT_CALLBACK, mutation_id)
        if isinstance(told, Notification):
            return NotifyResult("already_sent", told.detail)
        statuses = []
        for event, key, body in ledger_events.merchant_events(told):
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "mootaflow",
                "Idempotency-Key": key,
                "X-Mootaflow-Event": event,
                SIGNATURE_HEADER: sign(body, secret),
            }
            try:
                response = await self._http.post(url, content=body, headers=headers, timeout=15)
            except httpx.HTTPError as exc:
                raise ApplicationError(
                    f"merchant callback failed: {type(exc).__name__}: {exc}",
                    type="CallbackUnavailable",
                ) from None
            status = response.status_code
            if status >= 500 or status in _RETRYABLE_STATUS:
                raise ApplicationError(
                    f"merchant answered HTTP {status}", type="CallbackUnavailable"
                )
            if not 200 <= status < 300:
                await self._record(MERCHANT_CALLBACK, mutation_id, "failed", f"HTTP {status}")
                raise ApplicationError(
                    f"merchant refused the callback: HTTP {status}",
                    type="CallbackRejected",
                    non_retryable=True,
                )
            statuses.append(f"HTTP {status}")
        detail = statuses[0] if len(set(statuses)) == 1 else ", ".join(statuses)
        return await self._record(MERCHANT_CALLBACK, mutation_id, "sent", detail)

    @activity.defn(name=contracts.NOTIFY_FINANCE.name)
    async def notify_finance(self, notice: FinanceNotice) -> NotifyResult:
        """Tell finance a payment waits for their decision (and remind them later)."""
        kind = finance_notice(notice.reminder)
        address = self._settings.finance_email
        if address is None and self._settings.smtp_host:
            return NotifyResult("skipped", "no finance email configured")
        payment = await self._calls.read_session(_finance_case, kind, notice.mutation_id)
        if isinstance(payment, Notification):
            return NotifyResult("already_sent", payment.detail)
        if payment is None:
            raise ApplicationError(
                f"no payment {notice.mutation_id}", type="UnknownPayment", non_retryable=True
            )
        message = self._finance_email(payment, notice, address or "finance@localhost")
        try:
            where = await self._mail.deliver(
                message, name=f"finance-{notice.mutation_id}-{notice.reminder}"
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

    def _finance_email(self, payment: Payment, notice: FinanceNotice, to: str) -> Message:
        prefix = f"Reminder {notice.reminder}: " if notice.reminder else ""
        candidates = ", ".join(json.loads(payment.candidates)) or "none"
        return compose(
            self._settings.mail_from,
            to,
            f"{prefix}payment of {format_rupiah(payment.amount)} needs a decision "
            f"({payment.flag_reason})",
            f"<finance.{notice.reminder}.{payment.mutation_id}@mootaflow>",
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
            f"or POST /api/payments/{payment.mutation_id}/approve (or /reject).\n",
        )

    async def _record(self, kind: str, mutation_id: str, status: str, detail: str) -> NotifyResult:
        # Once sent, a failed record means the retried activity sends again: try a
        # little harder here (a busy SQLite's lock) before Temporal's retry does.
        for attempt in range(_RECORD_ATTEMPTS):
            try:
                await self._calls.run_session(
                    notifications.record, kind, mutation_id, status, detail, datetime.now(UTC)
                )
                break
            except OperationalError:
                if attempt == _RECORD_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.5 * (attempt + 1))
        log.info(
            f"{kind} {status}",
            extra={
                "mutation_id": mutation_id,
                "workflow_id": activity.info().workflow_id,
                "detail": detail,
            },
        )
        return NotifyResult(status, detail)

    def _invoice_email(self, told: ledger_events.Told, order: Order, invoice: Invoice) -> Message:
        payment = told.payment
        assert invoice.pdf is not None
        return compose(
            self._settings.mail_from,
            self._customer(order),
            f"Payment received: {format_rupiah(payment.amount)} ({order.ref})",
            # Stable per invoice, so a receiving system can recognise a repeat.
            f"<{invoice.number}.{payment.mutation_id}@mootaflow>",
            f"Hello {order.customer_name or 'customer'},\n\n"
            f"We received your payment of {format_rupiah(payment.amount)} on {_day(payment)} "
            f"for order {order.ref}.\n"
            f"{_refund_line(told)}"
            f"Your invoice {invoice.number} is attached.\n\n"
            f"Thank you,\n{self._settings.seller_name}\n",
            pdf=(invoice.pdf, f"{invoice.number}.pdf"),
        )

    def _partial_email(self, told: ledger_events.Told, order: Order) -> Message:
        payment = told.payment
        until = order.expires_at.astimezone(JAKARTA).strftime("%Y-%m-%d %H:%M WIB")
        return compose(
            self._settings.mail_from,
            self._customer(order),
            f"Part payment received: {format_rupiah(order.amount_due)} still due ({order.ref})",
            f"<partial.{order.ref}.{payment.mutation_id}@mootaflow>",
            f"Hello {order.customer_name or 'customer'},\n\n"
            f"We received {format_rupiah(payment.amount)} on {_day(payment)} "
            f"towards order {order.ref} ({format_rupiah(order.amount)}).\n"
            f"Still due: {format_rupiah(order.amount_due)}, by {until}.\n"
            f"Please transfer it to account {order.account_number} and mention {order.ref}.\n"
            f"Your invoice follows once the order is paid in full.\n\n"
            f"Thank you,\n{self._settings.seller_name}\n",
        )

    @staticmethod
    def _customer(order: Order) -> str:
        assert order.customer_email is not None
        return formataddr((order.customer_name, order.customer_email))


def _to_tell(session: Session, kind: str, mutation_id: str) -> Notification | ledger_events.Told:
    """The notification already sent, or else what the transfer did."""
    sent = notifications.already_sent(session, kind, mutation_id)
    return sent or ledger_events.read(session, mutation_id)


def _finance_case(session: Session, kind: str, mutation_id: str) -> Notification | Payment | None:
    """The notice already sent, or else the payment to tell finance about."""
    sent = notifications.already_sent(session, kind, mutation_id)
    return sent or session.get(Payment, mutation_id)


def _day(payment: Payment) -> str:
    """When the bank says the money arrived: the day alone where that is all it gives
    (BCA and others), not its midnight."""
    local = payment.mutation_date.astimezone(JAKARTA)
    return local.strftime("%Y-%m-%d" if payment.date_only else "%Y-%m-%d %H:%M WIB")


def _refund_line(told: ledger_events.Told) -> str:
    if told.refund is None:
        return ""
    return f"You paid {format_rupiah(told.refund.amount)} more: we will refund it.\n"
