"""Refunds for finance: the list of money to pay back, and recording that it was."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mootaflow.domain.allocations import RefundStatus
from mootaflow.domain.errors import BadRequest, Conflict, Invalid, NotFound
from mootaflow.domain.paging import Page, PageRequest
from mootaflow.store import allocations, orders, payments
from mootaflow.store.db import Sessions, reading
from mootaflow.store.tables import Refund

MAX_TEXT = 500


def refund_status(value: str | None) -> str | None:
    """The `status` filter: due (the default for people), paid, or all."""
    if value in (None, ""):
        return RefundStatus.DUE
    if value == "all":
        return None
    if value not in RefundStatus.__members__.values():
        raise BadRequest("bad_status", f"status must be due, paid or all, not {value!r}")
    return value


@dataclass(frozen=True)
class RefundView:
    """A refund with what finance needs to make it: who paid, from where."""

    row: Refund
    customer_name: str
    customer_email: str | None
    account_number: str  # our account the money came into
    bank_text: str  # the transfer's description and note: often the payer's account

    def as_dict(self) -> dict[str, Any]:
        r = self.row
        return {
            "id": r.id,
            "status": r.status,
            "amount": str(r.amount),
            "order_ref": r.order_ref,
            "mutation_id": r.mutation_id,
            "customer_name": self.customer_name,
            "customer_email": self.customer_email,
            "account_number": self.account_number,
            "bank_text": self.bank_text,
            "decided_by": r.decided_by,
            "reason": r.reason,
            "created_at": r.created_at.isoformat(),
            "paid_reference": r.paid_reference,
            "paid_by": r.paid_by,
            "paid_at": r.paid_at.isoformat() if r.paid_at else None,
        }


async def list_refunds(
    sessions: Sessions, status: str | None, page: PageRequest
) -> Page[RefundView]:
    async with reading(sessions) as session:
        rows = await allocations.refunds_page(session, status, page.limit, page.after)
        views = []
        for row in rows.items:
            order = await session.run_sync(orders.get_order, row.order_ref)
            payment = await payments.get_payment(session, row.mutation_id)
            views.append(
                RefundView(
                    row,
                    order.customer_name if order else "",
                    order.customer_email if order else None,
                    payment.account_number if payment else "",
                    " / ".join(t for t in (payment.description, payment.note) if t)
                    if payment
                    else "",
                )
            )
    return Page(views, rows.next)


async def mark_paid(
    sessions: Sessions, refund_id: int, reference: object, by: str
) -> tuple[Refund, bool]:
    """Record that the refund was transferred; (refund, changed). A refund already paid
    is a Conflict naming who paid it, unless with the same reference (a repeat)."""
    reference, by = _text("reference", reference), _text("by", by)
    async with sessions.begin() as session:
        refund, changed = await allocations.mark_refund_paid(
            session, refund_id, reference, by, datetime.now(UTC)
        )
    if refund is None:
        raise NotFound("not_found", f"no refund {refund_id}")
    if not changed and refund.paid_reference != reference:
        raise Conflict(
            "already_paid",
            f"refund {refund_id} was already paid by {refund.paid_by} "
            f"(reference {refund.paid_reference})",
        )
    return refund, changed


def _text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("invalid", f"'{name}' is required")
    if len(value) > MAX_TEXT or any(ord(c) < 32 for c in value):
        raise Invalid("invalid", f"'{name}' must be one line of at most {MAX_TEXT} characters")
    return value.strip()
