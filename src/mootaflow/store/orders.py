"""Orders: creation with a unique code, lookups for matching and for the API."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from mootaflow.domain.matching import OrderFacts
from mootaflow.domain.orders import (
    CODE_MODULUS,
    NewOrder,
    choose_total,
    new_order_ref,
    ref_key,
    unique_code_of,
)
from mootaflow.domain.payments import OrderStatus
from mootaflow.store.tables import Order

# Two creators racing for the same code, or a reference collision: try again.
_ATTEMPTS = 8


class MerchantRefConflict(Exception):
    def __init__(self, existing: Order) -> None:
        super().__init__(f"merchant_ref {existing.merchant_ref!r} is already order {existing.ref}")
        self.existing = existing


# How long an expired order's amount stays out of reach of new orders (a late
# payer's transfer must not pay a stranger's order); the settings' default.
DEFAULT_AMOUNT_REUSE = timedelta(days=7)


@dataclass(frozen=True)
class CodeRange:
    """Moota's kode unik range: the allowed last three digits of a total."""

    low: int
    high: int


async def create_order(
    session: AsyncSession,
    request: NewOrder,
    *,
    codes: CodeRange,
    default_expiry: timedelta,
    now: datetime,
    amount_reuse: timedelta = DEFAULT_AMOUNT_REUSE,
) -> tuple[Order, bool]:
    """Create an open order whose total (base plus under Rp 1.000, ending in the
    code range) no open or recently expired order of its account asks for.

    Returns (order, created). A repeated request with the same merchant_ref and
    the same content returns the existing order; different content is a conflict.
    The partial unique index on open orders is what guarantees uniqueness under
    concurrency; the free-code search only makes a collision unlikely.
    """
    expiry = (
        timedelta(minutes=request.expires_in_minutes)
        if request.expires_in_minutes
        else default_expiry
    )
    last_error: IntegrityError | None = None
    for _ in range(_ATTEMPTS):
        try:
            # A savepoint per attempt: a collision undoes this attempt only.
            async with session.begin_nested():
                if request.merchant_ref:
                    existing = await _by_merchant_ref(session, request.merchant_ref)
                    if existing is not None:
                        if _same_request(existing, request):
                            return existing, False
                        raise MerchantRefConflict(existing)
                await _expire_overdue(session, now, request.account_number)
                taken = await _held_amounts(session, request, now - amount_reuse)
                total = choose_total(request.amount, taken, codes.low, codes.high)
                ref = new_order_ref()
                order = Order(
                    ref=ref,
                    ref_key=ref_key(ref),
                    merchant_ref=request.merchant_ref,
                    account_number=request.account_number,
                    bank_id=request.bank_id,
                    base_amount=request.amount,
                    unique_code=unique_code_of(total),
                    amount=total,
                    amount_due=total,
                    customer_name=request.customer_name,
                    customer_email=request.customer_email,
                    status=OrderStatus.OPEN,
                    created_at=now,
                    expires_at=now + expiry,
                )
                session.add(order)
            return order, True
        except IntegrityError as exc:
            # Another creator took the same total (or reference) meanwhile: choose again.
            last_error = exc
    assert last_error is not None
    raise last_error


async def _held_amounts(
    session: AsyncSession, request: NewOrder, expired_since: datetime
) -> set[Decimal]:
    """Totals within reach of this base that a new order may not take: those of
    open orders, and of orders that expired after `expired_since`."""
    result = await session.execute(
        select(col(Order.amount)).where(
            col(Order.account_number) == request.account_number,
            col(Order.amount).between(request.amount, request.amount + CODE_MODULUS - 1),
            or_(
                col(Order.status) == OrderStatus.OPEN,
                and_(
                    col(Order.status) == OrderStatus.EXPIRED, col(Order.expires_at) >= expired_since
                ),
            ),
        )
    )
    return set(result.scalars())


# Built once, the value bound at execution (see store.db.built_once).
_BY_REF = select(Order).where(
    (col(Order.ref_key) == bindparam("key")) | (col(Order.merchant_ref) == bindparam("ref"))
)


def get_order(session: Session, ref: str) -> Order | None:
    """By our reference (separators and case tolerated) or by the merchant's."""
    if len(ref) > 64 or not ref.isprintable():
        return None  # no stored reference looks like this (and NUL would upset PostgreSQL)
    return session.scalars(_BY_REF, {"key": ref_key(ref), "ref": ref}).first()


async def expire_overdue(session: AsyncSession, now: datetime) -> int:
    return await _expire_overdue(session, now, None)


async def _expire_overdue(session: AsyncSession, now: datetime, account: str | None) -> int:
    statement = update(Order).where(
        col(Order.status) == OrderStatus.OPEN, col(Order.expires_at) < now
    )
    if account is not None:
        statement = statement.where(col(Order.account_number) == account)
    result = await session.execute(statement.values(status=OrderStatus.EXPIRED))
    return int(result.rowcount)  # type: ignore[attr-defined]


def orders_by_ref_keys(session: Session, keys: Sequence[str]) -> list[OrderFacts]:
    if not keys:
        return []
    result = session.execute(select(Order).where(col(Order.ref_key).in_(keys)))
    return [facts(order) for order in result.scalars()]


def orders_with_amount(session: Session, account_number: str, amount: object) -> list[OrderFacts]:
    """Orders asking for `amount`, and partially paid ones still owing exactly that."""
    result = session.execute(
        select(Order).where(
            col(Order.account_number) == account_number,
            or_(
                col(Order.amount) == amount,
                and_(
                    col(Order.status) == OrderStatus.PARTIALLY_PAID,
                    col(Order.amount_due) == amount,
                ),
            ),
        )
    )
    return [facts(order) for order in result.scalars()]


_COMPLETED_BY = (
    select(Order).where(col(Order.paid_by_mutation_id) == bindparam("id")).order_by(col(Order.ref))
)


def completed_by(session: Session, mutation_id: str) -> list[Order]:
    """The orders whose last rupiah (or accepted shortfall) came from this mutation."""
    return list(session.scalars(_COMPLETED_BY, {"id": mutation_id}))


def facts(order: Order) -> OrderFacts:
    return OrderFacts(
        ref=order.ref,
        ref_key=order.ref_key,
        account_number=order.account_number,
        bank_id=order.bank_id,
        amount=order.amount,
        created_at=order.created_at,
        expires_at=order.expires_at,
        paid_by=order.paid_by_mutation_id,
        due=order.amount_due if order.status == OrderStatus.PARTIALLY_PAID else None,
    )


async def _by_merchant_ref(session: AsyncSession, merchant_ref: str) -> Order | None:
    result = await session.execute(select(Order).where(col(Order.merchant_ref) == merchant_ref))
    return result.scalars().first()


def _same_request(order: Order, request: NewOrder) -> bool:
    return (
        order.account_number == request.account_number
        and order.base_amount == request.amount
        and order.customer_email == request.customer_email
        and order.bank_id == request.bank_id
    )
