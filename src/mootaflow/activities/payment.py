"""Database activities of PaymentWorkflow. Each is idempotent: safe to retry at any point."""

import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from mootaflow.activities import contracts, invoicing
from mootaflow.activities.contracts import (
    AllocateInput,
    Booked,
    BookInput,
    DecisionInput,
    FlagInput,
    InvoiceResult,
    OpenedPayment,
    Settled,
    StatusInput,
)
from mootaflow.domain.allocations import Difference, Line
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
from mootaflow.store import allocations, inbox, orders, payments
from mootaflow.store.db import Sessions, reading
from mootaflow.store.one_call import OneCall
from mootaflow.store.tables import DecisionRecord, Payment

log = logging.getLogger("mootaflow.activities")


class PaymentActivities:
    def __init__(self, calls: OneCall, settings: Settings, inbox: Sessions) -> None:
        # Each step's transaction is a function of a Session, run in one call.
        self._calls = calls
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
        created = await self._calls.run_session(payments.record_payment, mutation, _now(), source)
        _log("payment recorded", mutation.mutation_id, inserted=created)
        return created

    @activity.defn(name=contracts.OPEN_PAYMENT.name)
    async def open_payment(self, mutation: Mutation) -> OpenedPayment:
        """Write the payment row once and report where it stands (a re-sent mutation
        of a finished payment is recorded as such, and is not matched again)."""
        run_id = activity.info().workflow_run_id or ""
        source = await self._source_of(mutation)
        opened = _opened_payment(
            await self._calls.run_session(payments.open_payment, mutation, _now(), run_id, source)
        )
        _log_resent(opened, mutation)
        return opened

    @activity.defn(name=contracts.MATCH_ORDER.name)
    async def match_order(self, mutation: Mutation) -> MatchOutcome:
        """Apply the matching rules to the current orders and store the outcome."""
        outcome, fresh = await self._calls.run_session(self._match_once, mutation)
        if fresh:
            _log_outcome(outcome, mutation)
        return outcome

    def _match_once(self, session: Session, mutation: Mutation) -> tuple[MatchOutcome, bool]:
        # One transaction: the outcome is stored against the orders it was decided on.
        payment = session.get(Payment, mutation.mutation_id)
        if payment is not None and payment.status == PaymentStatus.PAID and payment.order_ref:
            # Booked by an earlier attempt of this workflow: keep that decision.
            return MatchOutcome("matched", payment.order_ref, None, [payment.order_ref]), False
        return self._match(session, mutation), True

    @activity.defn(name=contracts.SETTLE_PAYMENT.name)
    async def settle_payment(self, mutation: Mutation) -> Settled:
        """open_payment, match_order, mark_paid and generate_invoice in one transaction:
        a payment that matches is paid, with its invoice, when this commits. A lost race
        for the order is flagged already_paid in the same transaction."""
        run_id = activity.info().workflow_run_id or ""
        source = await self._source_of(mutation)
        settled = await self._calls.run_session(self._settle, mutation, run_id, source)
        if settled.outcome is None:
            _log_resent(settled.opened, mutation)
            return settled
        _log_outcome(settled.outcome, mutation)
        if settled.booking is not None:
            _log_booking(settled.booking, mutation.mutation_id)
        if settled.invoice is not None:
            _log("invoice issued", mutation.mutation_id, invoice=settled.invoice.numbers)
        return settled

    def _settle(self, session: Session, mutation: Mutation, run_id: str, source: str) -> Settled:
        opened = payments.open_payment(session, mutation, _now(), run_id, source)
        if opened.resent or opened.again:
            return Settled(_opened_payment(opened))
        outcome = self._match(session, mutation, settled_by=run_id)
        if outcome.kind != "matched":
            return Settled(_opened_payment(opened), outcome)
        assert outcome.order_ref is not None
        booking = payments.mark_paid(session, mutation.mutation_id, outcome.order_ref, _now())
        if not booking.paid:
            lost = MatchOutcome(
                "flagged", outcome.order_ref, FlagReason.ALREADY_PAID, [outcome.order_ref]
            )
            payments.save_outcome(session, mutation.mutation_id, lost, _now())
            return Settled(_opened_payment(opened), outcome, booking)
        # Booked: the invoice always comes next, so it comes in this transaction.
        invoice = invoicing.issue_after_booking(session, self._settings, mutation.mutation_id)
        return Settled(_opened_payment(opened), outcome, booking, invoice)

    def _match(
        self, session: Session, mutation: Mutation, settled_by: str | None = None
    ) -> MatchOutcome:
        referenced = orders.orders_by_ref_keys(session, referenced_keys(mutation, self._rules))
        same_amount = orders.orders_with_amount(session, mutation.account_number, mutation.amount)
        outcome = match_mutation(mutation, referenced, same_amount, self._rules)
        payments.save_outcome(session, mutation.mutation_id, outcome, _now(), settled_by)
        return outcome

    @activity.defn(name=contracts.MARK_PAID.name)
    async def mark_paid(self, booking: BookInput) -> Booking:
        """Book the order paid by this mutation; a lost race is reported, not raised."""
        try:
            result = await self._calls.run_session(
                payments.mark_paid, booking.mutation_id, booking.order_ref, _now()
            )
        except LookupError as exc:
            raise ApplicationError(str(exc), type="UnknownOrder", non_retryable=True) from None
        _log_booking(result, booking.mutation_id)
        return result

    @activity.defn(name=contracts.ALLOCATE.name)
    async def allocate(self, request: AllocateInput) -> Booked:
        """Allocate the transfer as finance decided, in one transaction with the
        decision's audit row and the invoice of each order paid in full; a refusal is
        reported, not raised."""
        booked = await self._calls.run_session(self._allocate, request)
        _log(
            "transfer allocated" if booked.done else f"allocation refused: {booked.refusal}",
            request.mutation_id,
            by=request.by,
            detail=booked.describe() if booked.done else booked.detail,
            invoice=booked.invoice.numbers if booked.invoice else None,
        )
        return booked

    def _allocate(self, session: Session, request: AllocateInput) -> Booked:
        extension = timedelta(days=self._settings.partial_payment_extend_days)
        difference = Difference(request.difference) if request.difference else None
        result = allocations.allocate(
            session, request.mutation_id, request.lines, difference, request.by,
            request.reason, _now(), extension,
        )  # fmt: skip
        recorded = False
        if result.done and request.decision is not None:
            payments.record_decision(session, _decision_row(request.decision))
            recorded = True
        invoice = None
        if result.done and result.completed:
            invoice = invoicing.issue_after_booking(session, self._settings, request.mutation_id)
        fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
        return Booked(**fields, recorded=recorded, invoice=invoice)

    @activity.defn(name=contracts.FLAG_PAYMENT.name)
    async def flag_payment(self, flag: FlagInput) -> None:
        outcome = MatchOutcome(
            "flagged", flag.order_ref, FlagReason(flag.reason), list(flag.candidates)
        )
        await self._calls.run_session(payments.save_outcome, flag.mutation_id, outcome, _now())
        _log("payment flagged", flag.mutation_id, reason=flag.reason, candidates=flag.candidates)

    @activity.defn(name=contracts.RECORD_DECISION.name)
    async def record_decision(self, decision: DecisionInput) -> None:
        """The audit row of a finance decision (once per payment)."""
        await self._calls.run_session(payments.record_decision, _decision_row(decision))
        _log(f"decision recorded: {decision.kind}", decision.mutation_id, by=decision.by)

    @activity.defn(name=contracts.SET_PAYMENT_STATUS.name)
    async def set_payment_status(self, change: StatusInput) -> None:
        await self._calls.run_session(
            payments.set_status, change.mutation_id, change.status, _now()
        )
        _log(f"payment {change.status}", change.mutation_id)

    @activity.defn(name=contracts.GENERATE_INVOICE.name)
    async def generate_invoice(self, mutation_id: str) -> InvoiceResult:
        """Issue the invoice of every order this transfer completed, once each, listing
        every transfer that paid the order."""
        return await self._invoice(mutation_id)

    async def _invoice(self, mutation_id: str) -> InvoiceResult:
        # Number, PDF and row in one transaction: a failure rolls the number back too
        # (gap-free, see store/invoices.py), and the retry issues it again.
        result = await self._calls.run_session(invoicing.issue, self._settings, mutation_id)
        if result.numbers:
            _log("invoice issued", mutation_id, invoice=result.numbers)
        return result


def _decision_row(decision: DecisionInput) -> DecisionRecord:
    return DecisionRecord(
        mutation_id=decision.mutation_id,
        kind=decision.kind,
        decided_by=decision.by,
        order_ref=decision.order_ref,
        note=decision.note,
        flag_reason=decision.flag_reason,
        decided_at=_now(),
        difference=decision.difference,
        allocations=allocations.lines_json(decision.allocations),
    )


def _opened_payment(opened: payments.Opened) -> OpenedPayment:
    payment, record = opened.payment, opened.decision
    decision = (
        Decision(
            "approve" if record.kind == "approve" else "reject",
            record.decided_by,
            record.order_ref,
            record.note,
            Difference(record.difference) if record.difference else None,
            tuple(_lines(record.allocations)),
        )
        if record is not None
        else None
    )
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


def _log_resent(opened: OpenedPayment, mutation: Mutation) -> None:
    if opened.resent:
        _log("payment already past matching: re-sent", mutation.mutation_id,
             status=opened.status)  # fmt: skip


def _log_outcome(outcome: MatchOutcome, mutation: Mutation) -> None:
    _log(
        "payment matched",
        mutation.mutation_id,
        outcome=outcome.kind,
        order_ref=outcome.order_ref,
        reason=outcome.reason,
        candidates=outcome.candidates,
    )


def _log_booking(booking: Booking, mutation_id: str) -> None:
    _log(
        "order booked" if booking.paid else "order already paid",
        mutation_id,
        order_ref=booking.order_ref,
        paid_by=booking.paid_by,
    )


def _lines(text: str) -> list[Line]:
    return [Line(item["order_ref"], None if item["amount"] is None else Decimal(item["amount"]))
            for item in json.loads(text or "[]")]  # fmt: skip


def _now() -> datetime:
    return datetime.now(UTC)


def _log(message: str, mutation_id: str, **fields: object) -> None:
    log.info(
        message,
        extra={"mutation_id": mutation_id, "workflow_id": activity.info().workflow_id, **fields},
    )
