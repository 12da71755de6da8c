"""What a transfer did, as the customer and the merchant are told it: the orders it
paid (with their invoices), the orders it left partially paid, the refund it made
due. Read from the ledger, so every retry tells the same story."""

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from temporalio.exceptions import ApplicationError

from mootaflow.domain.allocations import AllocationKind
from mootaflow.domain.payments import OrderStatus
from mootaflow.store import allocations, invoices
from mootaflow.store.tables import Invoice, Order, Payment, Refund

ORDER_PAID = "order.paid"
ORDER_PARTIALLY_PAID = "order.partially_paid"
REFUND_DUE = "refund.due"


@dataclass(frozen=True)
class Told:
    payment: Payment
    paid: list[tuple[Order, Invoice]]
    partial: list[Order]
    refund: Refund | None


def read(session: Session, mutation_id: str) -> Told:
    """Raises NotInvoiced (non-retryable) when the transfer paid nothing yet."""
    payment = session.get(Payment, mutation_id)
    rows = allocations.allocations_of(session, mutation_id)
    paid: list[tuple[Order, Invoice]] = []
    partial: list[Order] = []
    for row in rows:
        if row.kind != AllocationKind.ORDER:
            continue
        # The ledger holds our reference: the order's key.
        order = session.get(Order, row.order_ref)
        assert order is not None
        invoice = invoices.invoice_for_order(session, order.ref)
        if order.status == OrderStatus.PAID and order.paid_by_mutation_id == mutation_id:
            if invoice is not None:
                paid.append((order, invoice))
        elif order.status == OrderStatus.PARTIALLY_PAID:
            partial.append(order)
    refund = allocations.refund_of(session, mutation_id)
    if payment is None or not (paid or partial):
        raise ApplicationError(
            f"payment {mutation_id} has no invoice yet", type="NotInvoiced", non_retryable=True
        )
    return Told(payment, paid, partial, refund)


def merchant_events(told: Told) -> list[tuple[str, str, bytes]]:
    """(event, idempotency key, body) for each thing the merchant should know."""
    events = [
        (ORDER_PAID, f"{ORDER_PAID}:{order.ref}", paid_body(told.payment, order, invoice))
        for order, invoice in told.paid
    ]
    for order in told.partial:
        key = f"{ORDER_PARTIALLY_PAID}:{order.ref}:{told.payment.mutation_id}"
        events.append((ORDER_PARTIALLY_PAID, key, _body(ORDER_PARTIALLY_PAID, key, {
            "order": _order(order),
            "payment": _payment(told.payment),
        })))  # fmt: skip
    if (refund := told.refund) is not None:
        key = f"{REFUND_DUE}:{refund.id}"
        events.append((REFUND_DUE, key, _body(REFUND_DUE, key, {
            "refund": {"id": refund.id, "amount": str(refund.amount), "order_ref": refund.order_ref,
                       "status": "due", "decided_by": refund.decided_by},
            "payment": _payment(told.payment),
        })))  # fmt: skip
    return events


def paid_body(payment: Payment, order: Order, invoice: Invoice) -> bytes:
    """The `order.paid` event, built only from stored facts so every retry sends the
    same bytes."""
    key = f"{ORDER_PAID}:{order.ref}"
    return _body(ORDER_PAID, key, {
        "order": {**_order(order), "status": "paid",
                  "paid_at": order.paid_at.isoformat() if order.paid_at else None},
        "payment": _payment(payment),
        "invoice": {"number": invoice.number},
    })  # fmt: skip


def _order(order: Order) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "ref": order.ref,
        "merchant_ref": order.merchant_ref,
        "account_number": order.account_number,
        "base_amount": str(order.base_amount),
        "unique_code": order.unique_code,
        "amount": str(order.amount),
    }
    if order.status == OrderStatus.PARTIALLY_PAID:
        fields |= {
            "status": order.status,
            "amount_due": str(order.amount_due),
            "expires_at": order.expires_at.isoformat(),
        }
    return fields


def _payment(payment: Payment) -> dict[str, Any]:
    return {
        "mutation_id": payment.mutation_id,
        "amount": str(payment.amount),
        "account_number": payment.account_number,
        "bank_id": payment.bank_id,
        "date": payment.mutation_date.isoformat(),
    }


def _body(event: str, key: str, content: dict[str, Any]) -> bytes:
    return json.dumps(
        {"event": event, "idempotency_key": key, **content}, separators=(",", ":")
    ).encode()
