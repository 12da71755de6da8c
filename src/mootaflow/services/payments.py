"""Payments for finance: one payment with its story, paged lists and search, the queue
of flagged ones with the orders they might be for, quarantined items, decisions."""

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from mootaflow.domain.decisions import DECIDABLE, NEEDS_ORDER
from mootaflow.domain.errors import NotFound
from mootaflow.domain.paging import Page, PageRequest
from mootaflow.services.timeline import Event, timeline
from mootaflow.services.views import payment_view, when
from mootaflow.store import listing, orders, payments
from mootaflow.store.db import Sessions, reading
from mootaflow.store.listing import PaymentFilter
from mootaflow.store.one_call import OneCall
from mootaflow.store.tables import DecisionRecord, Invoice, Order, Payment, QuarantinedMutation

# How far from a flagged amount an open order may be to be shown as "near":
# a mistyped unique code is at most Rp 999 off; a share of the amount covers the rest.
NEAR_AT_LEAST = Decimal(1000)
NEAR_SHARE = Decimal("0.02")


async def payment_details(reads: OneCall, mutation_id: str) -> dict[str, Any]:
    """The payment with its invoice, notifications, decision and re-sends; NotFound."""
    story = await payment_story(reads, mutation_id)
    return story.view


@dataclass(frozen=True)
class Story:
    payment: Payment
    view: dict[str, Any]
    events: list[Event]
    invoice: Invoice | None


async def payment_story(reads: OneCall, mutation_id: str) -> Story:
    # One call on the database's own thread (store/one_call.py): half the CPU of the
    # same five reads through the async session, on every approval's answer.
    found = await reads.read_session(payments.payment_record, mutation_id)
    if found is None:
        raise NotFound("not_found", f"no payment for mutation {mutation_id}")
    payment, invoice, sent, decision, resends = (
        found.payment, found.invoice, found.notifications, found.decision, found.resends,
    )  # fmt: skip
    view = payment_view(payment, invoice, sent, decision, resends)
    return Story(payment, view, timeline(payment, decision, invoice, sent, resends), invoice)


async def search(sessions: Sessions, where: PaymentFilter, page: PageRequest) -> Page[Payment]:
    """Payments matching the filter, a page at a time."""
    where = await _canonical(sessions, where)
    async with reading(sessions) as session:
        return await listing.payments_page(session, where, page.limit, page.after)


async def list_payments(
    sessions: Sessions, where: PaymentFilter, page: PageRequest
) -> Page[dict[str, Any]]:
    """Payments as the API lists them (with their age), a page at a time."""
    found = await search(sessions, where, page)
    now = datetime.now(UTC)
    listed = [
        {**payment_view(p, None, []), "age_seconds": int((now - p.recorded_at).total_seconds())}
        for p in found.items
    ]
    return Page(listed, found.next)


async def _canonical(sessions: Sessions, where: PaymentFilter) -> PaymentFilter:
    """An order reference as people type it (any case, any separators) made ours."""
    if not where.order_ref:
        return where
    async with reading(sessions) as session:
        order = await session.run_sync(orders.get_order, where.order_ref)
    return replace(where, order_ref=order.ref if order else where.order_ref.upper())


@dataclass(frozen=True)
class Waiting:
    """A payment waiting for a decision, with what finance needs to take it."""

    payment: Payment
    age_seconds: int
    candidates: list[Order]
    near: list[Order]  # open orders on its account with an amount close to it

    @property
    def needs_order(self) -> bool:
        return self.payment.flag_reason in NEEDS_ORDER


async def waiting(
    sessions: Sessions, statuses: tuple[str, ...], page: PageRequest
) -> Page[Waiting]:
    """Flagged payments, oldest first: the next thing to decide is on top."""
    where = PaymentFilter(statuses=statuses)
    async with reading(sessions) as session:
        found = await listing.payments_page(session, where, page.limit, page.after)
        items = [await _with_orders(session, payment) for payment in found.items]
    return Page(items, found.next)


async def waiting_one(sessions: Sessions, payment: Payment) -> Waiting:
    async with reading(sessions) as session:
        return await _with_orders(session, payment)


async def _with_orders(session: AsyncSession, payment: Payment) -> Waiting:
    refs = list(json.loads(payment.candidates))
    if payment.order_ref and payment.order_ref not in refs:
        refs.insert(0, payment.order_ref)
    known = await listing.orders_by_refs(session, refs)
    spread = max(NEAR_AT_LEAST, payment.amount * NEAR_SHARE)
    near = await listing.open_orders_near(session, payment.account_number, payment.amount, spread)
    return Waiting(
        payment=payment,
        age_seconds=int((datetime.now(UTC) - payment.recorded_at).total_seconds()),
        candidates=[known[ref] for ref in refs if ref in known],
        near=[o for o in near if o.ref not in known],
    )


async def waiting_counts(sessions: Sessions) -> dict[str, int]:
    """How many wait in each of the statuses that need a person."""
    async with reading(sessions) as session:
        return await payments.count_by_status(session, tuple(DECIDABLE))


def quarantined_view(item: QuarantinedMutation) -> dict[str, Any]:
    return {
        "fingerprint": item.fingerprint,
        "mutation_id": item.mutation_id,
        "delivery_id": item.delivery_id,
        "reason": item.reason,
        "payload": item.payload,
        "received_at": when(item.received_at),
    }


async def quarantined_rows(sessions: Sessions, page: PageRequest) -> Page[QuarantinedMutation]:
    """Items of signed deliveries that failed validation, newest first."""
    async with reading(sessions) as session:
        return await listing.quarantined_page(session, page.limit, page.after)


async def quarantined(sessions: Sessions, page: PageRequest) -> Page[dict[str, Any]]:
    found = await quarantined_rows(sessions, page)
    return Page([quarantined_view(q) for q in found.items], found.next)


def decision_view(decision: DecisionRecord) -> dict[str, Any]:
    return {
        "mutation_id": decision.mutation_id,
        "kind": decision.kind,
        "by": decision.decided_by,
        "at": when(decision.decided_at),
        "order_ref": decision.order_ref,
        "note": decision.note,
        "flag_reason": decision.flag_reason,
    }


async def decision_rows(sessions: Sessions, page: PageRequest) -> Page[DecisionRecord]:
    """Decisions taken, newest first: who, what, when."""
    async with reading(sessions) as session:
        return await listing.decisions_page(session, page.limit, page.after)


async def decisions(sessions: Sessions, page: PageRequest) -> Page[dict[str, Any]]:
    found = await decision_rows(sessions, page)
    return Page([decision_view(d) for d in found.items], found.next)


async def all_waiting(sessions: Sessions, statuses: tuple[str, ...]) -> list[Payment]:
    """Every payment in these statuses, oldest first, page by page (the CLI's list)."""
    rows: list[Payment] = []
    page = PageRequest(limit=500)
    while True:
        async with reading(sessions) as session:
            found = await listing.payments_page(
                session, PaymentFilter(statuses=statuses), page.limit, page.after
            )
        rows += found.items
        if found.next is None:
            return rows
        page = PageRequest(page.limit, found.next)
