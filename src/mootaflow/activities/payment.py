"""Database activities of PaymentWorkflow. Each is idempotent: safe to retry at any point."""

import json
import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from mootaflow.activities import contracts
from mootaflow.activities.contracts import (
    BookInput,
    DecisionInput,
    FlagInput,
    InvoiceResult,
    OpenedPayment,
    StatusInput,
)
from mootaflow.activities.invoice_pdf import InvoiceData, render_invoice
from mootaflow.domain.decisions import Decision
from mootaflow.domain.matching import (
    FlagReason,
    MatchOutcome,
    MatchRules,
    match_mutation,
    referenced_keys,
)
from mootaflow.domain.moota import Mutation
from mootaflow.domain.payments import Booking, PaymentStatus
from mootaflow.domain.settings import Settings
from mootaflow.store import inbox, invoices, orders, payments
from mootaflow.store.db import Sessions, reading
from mootaflow.store.tables import DecisionRecord, Order, Payment

log = logging.getLogger("mootaflow.activities")


class PaymentActivities:
    def __init__(self, sessions: Sessions, settings: Settings, inbox: Sessions) -> None:
        self._sessions = sessions
        # The receiving tables (store/databases.py): only read here.
        self._inbox = inbox
        self._settings = settings
        self._rules = MatchRules(
            ref_pattern=settings.order_ref_pattern,
            high_value_threshold=settings.high_value_threshold,
            test_accounts=frozenset(settings.test_accounts),
        )

    async def _source_of(self, mutation: Mutation) -> str:
        async with reading(self._inbox) as session:
            return await inbox.source_of(session, mutation.mutation_id)

    @activity.defn(name=contracts.RECORD_MUTATION.name)
    async def record_mutation(self, mutation: Mutation) -> bool:
        """Write the payment row; True if this attempt created it."""
        source = await self._source_of(mutation)
        async with self._sessions.begin() as session:
            created = await payments.record_payment(session, mutation, _now(), source)
        _log("payment recorded", mutation.mutation_id, inserted=created)
        return created

    @activity.defn(name=contracts.OPEN_PAYMENT.name)
    async def open_payment(self, mutation: Mutation) -> OpenedPayment:
        """Write the payment row once and report where it stands (a re-sent mutation
        of a finished payment is recorded as such, and is not matched again)."""
        run_id = activity.info().workflow_run_id or ""
        source = await self._source_of(mutation)
        async with self._sessions.begin() as session:
            opened = await payments.open_payment(session, mutation, _now(), run_id, source)
        payment, record = opened.payment, opened.decision
        decision = (
            Decision(
                "approve" if record.kind == "approve" else "reject",
                record.decided_by,
                record.order_ref,
                record.note,
            )
            if record is not None
            else None
        )
        if opened.resent:
            _log("payment already past matching: re-sent", mutation.mutation_id,
                 status=payment.status)  # fmt: skip
        return OpenedPayment(
            created=opened.created,
            status=payment.status,
            order_ref=payment.order_ref,
            flag_reason=payment.flag_reason,
            candidates=json.loads(payment.candidates),
            decision=decision,
            resent=opened.resent,
            ignored_reason=payment.ignored_reason,
        )

    @activity.defn(name=contracts.MATCH_ORDER.name)
    async def match_order(self, mutation: Mutation) -> MatchOutcome:
        """Apply the matching rules to the current orders and store the outcome."""
        # One transaction: the outcome is stored against the orders it was decided on.
        async with self._sessions.begin() as session:
            payment = await payments.get_payment(session, mutation.mutation_id)
            if payment is not None and payment.status == PaymentStatus.PAID and payment.order_ref:
                # Booked by an earlier attempt of this workflow: keep that decision.
                return MatchOutcome("matched", payment.order_ref, None, [payment.order_ref])
            referenced = await orders.orders_by_ref_keys(
                session, referenced_keys(mutation, self._rules)
            )
            same_amount = await orders.orders_with_amount(
                session, mutation.account_number, mutation.amount
            )
            outcome = match_mutation(mutation, referenced, same_amount, self._rules)
            await payments.save_outcome(session, mutation.mutation_id, outcome, _now())
        _log(
            "payment matched",
            mutation.mutation_id,
            outcome=outcome.kind,
            order_ref=outcome.order_ref,
            reason=outcome.reason,
            candidates=outcome.candidates,
        )
        return outcome

    @activity.defn(name=contracts.MARK_PAID.name)
    async def mark_paid(self, booking: BookInput) -> Booking:
        """Book the order paid by this mutation; a lost race is reported, not raised."""
        async with self._sessions.begin() as session:
            try:
                result = await payments.mark_paid(
                    session, booking.mutation_id, booking.order_ref, _now()
                )
            except LookupError as exc:
                raise ApplicationError(str(exc), type="UnknownOrder", non_retryable=True) from None
        _log(
            "order booked" if result.paid else "order already paid",
            booking.mutation_id,
            order_ref=booking.order_ref,
            paid_by=result.paid_by,
        )
        return result

    @activity.defn(name=contracts.FLAG_PAYMENT.name)
    async def flag_payment(self, flag: FlagInput) -> None:
        outcome = MatchOutcome(
            "flagged", flag.order_ref, FlagReason(flag.reason), list(flag.candidates)
        )
        async with self._sessions.begin() as session:
            await payments.save_outcome(session, flag.mutation_id, outcome, _now())
        _log("payment flagged", flag.mutation_id, reason=flag.reason, candidates=flag.candidates)

    @activity.defn(name=contracts.RECORD_DECISION.name)
    async def record_decision(self, decision: DecisionInput) -> None:
        """The audit row of a finance decision (once per payment)."""
        row = DecisionRecord(
            mutation_id=decision.mutation_id,
            kind=decision.kind,
            decided_by=decision.by,
            order_ref=decision.order_ref,
            note=decision.note,
            flag_reason=decision.flag_reason,
            decided_at=_now(),
        )
        async with self._sessions.begin() as session:
            await payments.record_decision(session, row)
        _log(f"decision recorded: {decision.kind}", decision.mutation_id, by=decision.by)

    @activity.defn(name=contracts.SET_PAYMENT_STATUS.name)
    async def set_payment_status(self, change: StatusInput) -> None:
        async with self._sessions.begin() as session:
            await payments.set_status(session, change.mutation_id, change.status, _now())
        _log(f"payment {change.status}", change.mutation_id)

    @activity.defn(name=contracts.GENERATE_INVOICE.name)
    async def generate_invoice(self, mutation_id: str) -> InvoiceResult:
        """Issue the invoice number once and store its PDF once."""
        # The number first, in its own transaction (gap-free, see store/invoices.py);
        # the PDF is rendered outside any transaction and stored once.
        async with self._sessions.begin() as session:
            payment, order = await _paid(session, mutation_id)
            assert payment.paid_at is not None
            invoice = await invoices.issue_invoice(session, mutation_id, order.ref, payment.paid_at)
        if invoice.pdf is None:
            pdf = render_invoice(
                self._invoice_data(invoice.number, invoice.issued_at, payment, order)
            )
            async with self._sessions.begin() as session:
                await invoices.store_pdf(session, invoice.number, pdf)
        _log("invoice issued", mutation_id, invoice=invoice.number)
        return InvoiceResult(invoice.number)

    def _invoice_data(
        self, number: str, issued_at: datetime, payment: Payment, order: Order
    ) -> InvoiceData:
        s = self._settings
        return InvoiceData(
            number=number,
            issued_at=issued_at,
            seller_name=s.seller_name,
            seller_address=s.seller_address,
            seller_tax_id=s.seller_tax_id,
            seller_email=s.seller_email,
            order_ref=order.ref,
            merchant_ref=order.merchant_ref,
            customer_name=order.customer_name,
            customer_email=order.customer_email,
            base_amount=order.base_amount,
            unique_code=order.unique_code,
            amount=payment.amount,
            account_number=payment.account_number,
            bank_id=payment.bank_id,
            mutation_id=payment.mutation_id,
            # When the customer's money arrived, per the bank.
            paid_at=payment.mutation_date,
            paid_on_day_only=payment.date_only,
        )


async def _paid(session: AsyncSession, mutation_id: str) -> tuple[Payment, Order]:
    payment = await payments.get_payment(session, mutation_id)
    if payment is None or payment.status != PaymentStatus.PAID or payment.order_ref is None:
        raise ApplicationError(
            f"payment {mutation_id} is not booked to an order",
            type="NotPaid",
            non_retryable=True,
        )
    order = await orders.get_order(session, payment.order_ref)
    assert order is not None
    return payment, order


def _now() -> datetime:
    return datetime.now(UTC)


def _log(message: str, mutation_id: str, **fields: object) -> None:
    log.info(
        message,
        extra={"mutation_id": mutation_id, "workflow_id": activity.info().workflow_id, **fields},
    )
