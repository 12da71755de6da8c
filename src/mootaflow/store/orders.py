"""Orders: creation with a unique code, lookups for matching and for the API."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from mootaflow.domain.matching import OrderFacts
from mootaflow.domain.orders import NewOrder, choose_unique_code, new_order_ref, ref_key
from mootaflow.store.tables import Order

# Two creators racing for the same code, or a reference collision: try again.
_ATTEMPTS = 8


class MerchantRefConflict(Exception):
    def __init__(self, existing: Order) -> None:
        super().__init__(f"merchant_ref {existing.merchant_ref!r} is already order {existing.ref}")
        self.existing = existing


@dataclass(frozen=True)
class CodeRange:
    low: int
    high: int


async def create_order(
    session: AsyncSession,
    request: NewOrder,
    *,
    codes: CodeRange,
    default_expiry: timedelta,
    now: datetime,
) -> tuple[Order, bool]:
    """Create an open order with base + unique code free on its account.

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
            async with session.begin():
                if request.merchant_ref:
                    existing = await _by_merchant_ref(session, request.merchant_ref)
                    if existing is not None:
                        if _same_request(existing, request):
                            return existing, False
                        raise MerchantRefConflict(existing)
                await _expire_overdue(session, now, request.account_number)
                taken = await session.execute(
                    select(col(Order.amount)).where(
                        col(Order.account_number) == request.account_number,
                        col(Order.status) == "open",
                        col(Order.base_amount) == request.amount,
                    )
                )
                code = choose_unique_code(
                    request.amount, set(taken.scalars()), codes.low, codes.high
                )
                ref = new_order_ref()
                order = Order(
                    ref=ref,
                    ref_key=ref_key(ref),
                    merchant_ref=request.merchant_ref,
                    account_number=request.account_number,
                    bank_id=request.bank_id,
                    base_amount=request.amount,
                    unique_code=code,
                    amount=request.amount + code,
                    customer_name=request.customer_name,
                    customer_email=request.customer_email,
                    status="open",
                    created_at=now,
                    expires_at=now + expiry,
                )
                session.add(order)
            return order, True
        except IntegrityError as exc:
            last_error = exc
            session.expunge_all()
    assert last_error is not None
    raise last_error


async def get_order(session: AsyncSession, ref: str) -> Order | None:
    """By our reference (separators and case tolerated) or by the merchant's."""
    if len(ref) > 64 or not ref.isprintable():
        return None  # no stored reference looks like this (and NUL would upset PostgreSQL)
    result = await session.execute(
        select(Order).where((col(Order.ref_key) == ref_key(ref)) | (col(Order.merchant_ref) == ref))
    )
    return result.scalars().first()


async def expire_overdue(session: AsyncSession, now: datetime) -> int:
    async with session.begin():
        return await _expire_overdue(session, now, None)


async def _expire_overdue(session: AsyncSession, now: datetime, account: str | None) -> int:
    statement = update(Order).where(col(Order.status) == "open", col(Order.expires_at) < now)
    if account is not None:
        statement = statement.where(col(Order.account_number) == account)
    result = await session.execute(statement.values(status="expired"))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def orders_by_ref_keys(session: AsyncSession, keys: Sequence[str]) -> list[OrderFacts]:
    if not keys:
        return []
    result = await session.execute(select(Order).where(col(Order.ref_key).in_(keys)))
    return [facts(order) for order in result.scalars()]


async def orders_with_amount(
    session: AsyncSession, account_number: str, amount: object
) -> list[OrderFacts]:
    result = await session.execute(
        select(Order).where(
            col(Order.account_number) == account_number, col(Order.amount) == amount
        )
    )
    return [facts(order) for order in result.scalars()]


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
