"""A payment's story, from the rows that record it: received, matched or flagged,
reminders, decision, booked, invoice, emails, callbacks, re-sends."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mootaflow.domain.payments import NotificationKind, PaymentStatus, finance_notice
from mootaflow.store.tables import (
    DecisionRecord,
    Invoice,
    Notification,
    Payment,
    PaymentResend,
)


@dataclass(frozen=True)
class Event:
    """One step. `kind` names it for labels (received, flagged, reminder, unresolved,
    ignored, approved, rejected, booked, invoice, email, callback, resent); `ok` is
    False for a failure worth a look."""

    at: datetime | None
    kind: str
    detail: str = ""
    ok: bool = True
    code: str | None = None  # the flag reason of a `flagged` step


def timeline(
    payment: Payment,
    decision: DecisionRecord | None,
    invoice: Invoice | None,
    notifications: Sequence[Notification],
    resends: Sequence[PaymentResend],
) -> list[Event]:
    events = [Event(payment.recorded_at, "received", payment.description)]
    notices = {n.kind: n for n in notifications}
    first_notice = notices.get(finance_notice(0))
    reason = payment.flag_reason or (decision.flag_reason if decision else None)
    if reason:
        # Finance is told at once: that notice's time is when it was flagged.
        at = first_notice.updated_at if first_notice else None
        candidates = ", ".join(json.loads(payment.candidates))
        events.append(Event(at, "flagged", candidates, code=reason))
    for kind, notice in sorted(notices.items()):
        if kind.startswith(f"{NotificationKind.FINANCE_REMINDER}_"):
            events.append(
                Event(notice.updated_at, "reminder", notice.detail, notice.status != "failed")
            )
    if payment.status == PaymentStatus.UNRESOLVED:
        events.append(Event(payment.updated_at, "unresolved"))
    if payment.status == PaymentStatus.IGNORED:
        events.append(Event(payment.updated_at, "ignored", payment.ignored_reason or ""))
    if decision is not None:
        kind = "approved" if decision.kind == "approve" else "rejected"
        said = " · ".join(p for p in (decision.order_ref or "", decision.note) if p)
        events.append(Event(decision.decided_at, kind, f"{decision.decided_by}: {said}".strip()))
    if payment.paid_at is not None:
        events.append(Event(payment.paid_at, "booked", payment.order_ref or ""))
    if invoice is not None:
        events.append(Event(invoice.issued_at, "invoice", invoice.number))
    owed = (
        (NotificationKind.CUSTOMER_EMAIL, "email"),
        (NotificationKind.MERCHANT_CALLBACK, "callback"),
    )
    for kind, name in owed:
        if (sent := notices.get(kind)) is not None:
            detail = f"{sent.status}: {sent.detail}"
            events.append(Event(sent.updated_at, name, detail, sent.status != "failed"))
    events += [Event(r.resent_at, "resent", r.status) for r in resends]
    # Stable: events without a time keep their place after the one before them. An
    # approval is recorded once its booking commits, a moment after it: it goes first.
    last = payment.recorded_at
    keyed = []
    for index, event in enumerate(events):
        last = event.at or last
        at = last
        if event.kind == "approved" and payment.paid_at is not None:
            at = min(at, payment.paid_at)
        keyed.append((at, index, event))
    return [event for _, _, event in sorted(keyed, key=lambda k: (k[0], k[1]))]
