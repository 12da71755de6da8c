"""JSON shapes of orders and payments, shared by the API, the console and the CLI."""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mootaflow.domain.money import format_rupiah
from mootaflow.store.tables import (
    DecisionRecord,
    Invoice,
    Notification,
    Order,
    Payment,
    PaymentResend,
)


def order_view(order: Order, payment: Payment | None, invoice: Invoice | None) -> dict[str, Any]:
    return {
        "ref": order.ref,
        "merchant_ref": order.merchant_ref,
        "status": order.status,
        "account_number": order.account_number,
        "bank_id": order.bank_id,
        # Order amounts are whole rupiah by construction: plain integers.
        "base_amount": int(order.base_amount),
        "unique_code": order.unique_code,
        "amount": int(order.amount),
        "amount_display": format_rupiah(order.amount),
        # What is still owed: the amount while open, less part payments; 0 once paid.
        "amount_due": str(order.amount_due),
        "customer_name": order.customer_name,
        "customer_email": order.customer_email,
        "created_at": _iso(order.created_at),
        "expires_at": _iso(order.expires_at),
        "paid_at": _iso(order.paid_at),
        "payment": (
            {
                "mutation_id": payment.mutation_id,
                "amount": str(payment.amount),
                "source": payment.source,
            }
            if payment is not None
            else None
        ),
        "invoice": _invoice(invoice),
    }


def payment_view(
    payment: Payment,
    invoice: Invoice | None,
    notifications: list[Notification],
    decision: DecisionRecord | None = None,
    resends: Sequence[PaymentResend] = (),
) -> dict[str, Any]:
    return {
        "mutation_id": payment.mutation_id,
        "workflow_id": payment.workflow_id,
        "status": payment.status,
        # webhook, or reconcile: found through Moota's API, its webhook never came.
        "source": payment.source,
        "type": payment.type,
        # Bank amounts may carry sen: an exact decimal string.
        "amount": str(payment.amount),
        "amount_display": format_rupiah(payment.amount),
        "account_number": payment.account_number,
        "bank_id": payment.bank_id,
        "date": _iso(payment.mutation_date),
        # BCA and other banks give the day only: `date` is then that day's midnight.
        "date_only": payment.date_only,
        "seen_by_moota_at": _iso(payment.seen_at),
        "description": payment.description,
        "note": payment.note,
        "order_ref": payment.order_ref,
        "flag_reason": payment.flag_reason,
        "ignored_reason": payment.ignored_reason,
        "candidates": json.loads(payment.candidates),
        "paid_at": _iso(payment.paid_at),
        "invoice": _invoice(invoice),
        "notifications": {
            n.kind: {"status": n.status, "detail": n.detail, "at": _iso(n.updated_at)}
            for n in notifications
        },
        "decision": _decision(decision),
        # Later workflow runs that found this payment past matching (Moota re-sent it).
        "resends": [{"at": _iso(r.resent_at), "status_found": r.status} for r in resends],
    }


def _decision(decision: DecisionRecord | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "kind": decision.kind,
        "by": decision.decided_by,
        "at": _iso(decision.decided_at),
        "order_ref": decision.order_ref,
        "note": decision.note,
        "flag_reason": decision.flag_reason,
    }


def _invoice(invoice: Invoice | None) -> dict[str, str] | None:
    if invoice is None:
        return None
    return {"number": invoice.number, "url": f"/api/invoices/{invoice.number}.pdf"}


def when(moment: datetime | None) -> str | None:
    """A moment as the API writes it: ISO 8601 with its offset."""
    return moment.isoformat() if moment else None


_iso = when
