"""Issuing invoices inside a payment step's transaction: the number (gap-free, see
store/invoices.py), the PDF, the row, all committed with the booking that paid the
order, or not at all."""

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy.orm import Session
from temporalio.exceptions import ApplicationError

from mootaflow.activities.contracts import InvoiceResult
from mootaflow.activities.invoice_pdf import InvoiceData, render_invoice
from mootaflow.domain.allocations import AllocationKind
from mootaflow.domain.payments import PaymentStatus
from mootaflow.domain.settings import Settings
from mootaflow.store import allocations, invoices, orders
from mootaflow.store.tables import Invoice, Order, Payment

log = logging.getLogger("mootaflow.activities")


@dataclass(frozen=True)
class PaidBy:
    """What paid an order: each transfer with its amount to it, oldest first."""

    transfers: list[tuple[Payment, Decimal]]
    written_off: Decimal


class Issued(NamedTuple):
    invoice: Invoice
    order: Order
    paid: PaidBy


def issue(session: Session, settings: Settings, mutation_id: str) -> InvoiceResult:
    """The invoice of each order the transfer completed, numbered if new and rendered if
    it has no PDF yet; the caller's commit saves them (its rollback, the numbers too).
    None completed (partially paid): the invoice comes with the transfer that does."""
    issued = _number(session, mutation_id)
    _render(settings, issued)
    return _result(issued)


def issue_after_booking(
    session: Session, settings: Settings, mutation_id: str
) -> InvoiceResult | None:
    """`issue` in the transaction of the booking itself. None if a PDF failed to render:
    the booking and the numbers still commit, and the workflow's generate_invoice renders
    it (retrying where operators see it)."""
    issued = _number(session, mutation_id)
    try:
        _render(settings, issued)
    except Exception:
        log.exception(
            "invoice PDF failed in the booking's step; generate_invoice renders it",
            extra={"mutation_id": mutation_id},
        )
        return None
    return _result(issued)


def _render(settings: Settings, issued: list[Issued]) -> None:
    for invoice, order, paid in issued:
        if invoice.pdf is None:
            invoice.pdf = render_invoice(_invoice_data(settings, invoice, paid, order))


def _result(issued: list[Issued]) -> InvoiceResult:
    numbers = [item.invoice.number for item in issued]
    return InvoiceResult(numbers[0] if numbers else "", numbers)


def _number(session: Session, mutation_id: str) -> list[Issued]:
    return [
        Issued(invoices.issue_invoice(session, mutation_id, order.ref, paid_at), order, paid)
        for order, paid_at, paid in _completed(session, mutation_id)
    ]


def _completed(session: Session, mutation_id: str) -> list[tuple[Order, datetime, PaidBy]]:
    """The orders this transfer completed, when, and every transfer that paid each."""
    # In a booking's transaction, the row allocate booked (store/allocations.py).
    payment = session.get(Payment, mutation_id)
    done = orders.completed_by(session, mutation_id)
    if payment is None or payment.status != PaymentStatus.PAID or payment.paid_at is None:
        raise ApplicationError(
            f"payment {mutation_id} completed no order",
            type="NotPaid",
            non_retryable=True,
        )
    result = []
    for order in done:
        rows = allocations.allocations_to(session, order.ref)
        transfers = []
        for row in rows:
            if row.kind == AllocationKind.ORDER:
                transfer = session.get(Payment, row.mutation_id)
                assert transfer is not None
                transfers.append((transfer, row.amount))
        off = sum((r.amount for r in rows if r.kind == AllocationKind.WRITE_OFF), Decimal(0))
        result.append((order, payment.paid_at, PaidBy(transfers, off)))
    return result


def _invoice_data(settings: Settings, invoice: Invoice, paid: PaidBy, order: Order) -> InvoiceData:
    s = settings
    payment = paid.transfers[-1][0]  # the one that completed the order
    return InvoiceData(
        number=invoice.number,
        issued_at=invoice.issued_at,
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
        amount=sum((amount for _, amount in paid.transfers), Decimal(0)),
        account_number=payment.account_number,
        bank_id=payment.bank_id,
        mutation_id=payment.mutation_id,
        # When the customer's money arrived, per the bank.
        paid_at=payment.mutation_date,
        paid_on_day_only=payment.date_only,
        transfers=tuple((p.mutation_id, amount, p.mutation_date) for p, amount in paid.transfers)
        if len(paid.transfers) > 1
        else (),
        written_off=paid.written_off,
    )
