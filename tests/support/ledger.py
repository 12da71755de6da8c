"""Payments written straight into the database, as the worker's activities write them:
for tests of lists, reports and pages that need rows, not workflows."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from mootaflow.domain.matching import FlagReason, MatchOutcome
from mootaflow.domain.moota import parse_mutation
from mootaflow.domain.orders import NewOrder
from mootaflow.store import invoices, orders, payments
from mootaflow.store.db import Sessions
from mootaflow.store.tables import DecisionRecord, Order
from tests.support.moota import mutation


async def new_order(
    sessions: Sessions, amount: int = 150000, account: str = "1234567890", **fields: Any
) -> Order:
    async with sessions.begin() as session:
        order, _ = await orders.create_order(
            session,
            NewOrder(account_number=account, amount=Decimal(amount), **fields),
            codes=orders.CodeRange(1, 999),
            default_expiry=timedelta(hours=24),
            now=datetime.now(UTC) - timedelta(minutes=10),
        )
    return order


async def received(sessions: Sessions, at: datetime | None = None, **changes: Any) -> str:
    parsed = parse_mutation(mutation(**changes))
    async with sessions.begin() as session:
        await session.run_sync(payments.record_payment, parsed, at or datetime.now(UTC))
    return parsed.mutation_id


async def flagged(
    sessions: Sessions,
    reason: FlagReason = FlagReason.NO_MATCH,
    candidates: tuple[str, ...] = (),
    at: datetime | None = None,
    **changes: Any,
) -> str:
    mutation_id = await received(sessions, at, **changes)
    outcome = MatchOutcome(
        "flagged",
        order_ref=candidates[0] if len(candidates) == 1 else None,
        reason=reason,
        candidates=list(candidates),
    )
    async with sessions.begin() as session:
        await session.run_sync(payments.save_outcome, mutation_id, outcome, datetime.now(UTC))
    return mutation_id


async def paid(
    sessions: Sessions, order: Order, decided_by: str | None = None, **changes: Any
) -> tuple[str, str]:
    """A payment booked to `order` with its invoice (and a decision, if someone took one);
    returns (mutation id, invoice number)."""
    changes.setdefault("account_number", order.account_number)
    changes.setdefault("amount", int(order.amount))
    mutation_id = await received(sessions, **changes)
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        booking = await session.run_sync(payments.mark_paid, mutation_id, order.ref, now)
        assert booking.paid
    async with sessions.begin() as session:
        invoice = await session.run_sync(invoices.issue_invoice, mutation_id, order.ref, now)
        invoice.pdf = b"%PDF-1.4 (a test stand-in)"
    if decided_by:
        async with sessions.begin() as session:
            await session.run_sync(
                payments.record_decision,
                DecisionRecord(
                    mutation_id=mutation_id,
                    kind="approve",
                    decided_by=decided_by,
                    order_ref=order.ref,
                    note="checked",
                    flag_reason="underpaid",
                    decided_at=now,
                ),
            )
    return mutation_id, invoice.number
