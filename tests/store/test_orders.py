"""Order creation against a real SQLite file: unique codes, even under concurrent creation."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from mootaflow.domain.orders import NewOrder, NoUniqueCodeLeft
from mootaflow.store import orders
from mootaflow.store.db import Sessions
from mootaflow.store.tables import Order

NOW = datetime.now(UTC)
CODES = orders.CodeRange(1, 999)


async def create(
    sessions: Sessions, codes: orders.CodeRange = CODES, now: datetime = NOW, **fields: object
) -> tuple[Order, bool]:
    values: dict[str, object] = {"account_number": "1234567890", "amount": 150000}
    values.update(fields)
    async with sessions.begin() as session:
        return await orders.create_order(
            session,
            NewOrder.model_validate(values),
            codes=codes,
            default_expiry=timedelta(hours=24),
            now=now,
        )


async def test_kode_unik_is_the_last_three_digits_of_the_amount(sessions: Sessions) -> None:
    # A Moota webhook with unique codes 300-500 pushes only amounts ending in 300-500.
    for _ in range(20):
        order, _ = await create(sessions, codes=orders.CodeRange(300, 500), amount=149500)
        assert order.amount % 1000 == order.unique_code
        assert 300 <= order.unique_code <= 500
        assert Decimal(149500) <= order.amount < Decimal(150500)


async def test_amount_is_base_plus_a_code_in_range(sessions: Sessions) -> None:
    order, created = await create(sessions, customer_email="a@b.id")
    assert created
    assert 1 <= order.unique_code <= 999
    assert order.amount == Decimal(150000) + order.unique_code
    assert order.status == "open"
    assert order.expires_at == NOW + timedelta(hours=24)
    async with sessions.begin() as session:
        found = await session.run_sync(orders.get_order, order.ref.lower().replace("-", " "))
    assert found is not None and found.ref == order.ref


async def test_concurrent_creation_never_gives_two_open_orders_the_same_amount(
    sessions: Sessions,
) -> None:
    # 40 creators, 50 possible codes: collisions are likely unless the database stops them.
    results = await asyncio.gather(
        *(create(sessions, codes=orders.CodeRange(1, 50)) for _ in range(40))
    )
    amounts = [order.amount for order, _ in results]
    assert len(set(amounts)) == 40


async def test_the_database_itself_refuses_a_duplicate_open_amount(sessions: Sessions) -> None:
    order, _ = await create(sessions)
    clone = Order(**{**order.model_dump(), "ref": "MF-DUPE-0001", "ref_key": "MFDUPE0001"})
    async with sessions.begin() as session:
        session.add(clone)
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_codes_run_out_with_a_clear_error(sessions: Sessions) -> None:
    small = orders.CodeRange(1, 2)
    await create(sessions, codes=small)
    await create(sessions, codes=small)
    with pytest.raises(NoUniqueCodeLeft, match="ending in 001-002 is taken"):
        await create(sessions, codes=small)
    # Another account, or another base amount, is unaffected.
    await create(sessions, codes=small, account_number="999888")
    await create(sessions, codes=small, amount=200000)


async def test_an_expired_orders_amount_is_held_for_late_payers(sessions: Sessions) -> None:
    small = orders.CodeRange(1, 1)
    # Expired yesterday: a customer paying late must not pay a new order's amount.
    await create(sessions, codes=small, now=NOW - timedelta(days=2))
    with pytest.raises(NoUniqueCodeLeft):
        await create(sessions, codes=small)
    # Other accounts are not affected.
    await create(sessions, codes=small, account_number="999888")


async def test_expired_orders_free_their_amount_after_the_reuse_period(
    sessions: Sessions,
) -> None:
    small = orders.CodeRange(1, 1)
    # Created 9 days ago, expired 8 days ago: past the default 7 days.
    first, _ = await create(sessions, codes=small, now=NOW - timedelta(days=9))
    second, _ = await create(sessions, codes=small)
    assert first.amount == second.amount
    async with sessions.begin() as session:
        statuses = (
            await session.execute(
                select(col(Order.ref), col(Order.status)).order_by(col(Order.created_at))
            )
        ).all()
    assert [status for _, status in statuses] == ["expired", "open"]
    # A shorter reuse period is a setting.
    third, _ = await create(sessions, codes=small, now=NOW - timedelta(days=2), amount=300000)
    async with sessions.begin() as session:
        fourth, _ = await orders.create_order(
            session,
            NewOrder(account_number="1234567890", amount=Decimal(300000)),
            codes=small,
            default_expiry=timedelta(hours=24),
            now=NOW,
            amount_reuse=timedelta(hours=12),
        )
    assert fourth.amount == third.amount


async def test_paid_orders_do_not_hold_their_amount(sessions: Sessions) -> None:
    small = orders.CodeRange(1, 1)
    first, _ = await create(sessions, codes=small)
    async with sessions.begin() as session:
        row = await session.get(Order, first.ref)
        assert row is not None
        row.status, row.paid_by_mutation_id = "paid", "m-1"
    second, _ = await create(sessions, codes=small)
    assert second.amount == first.amount


async def test_merchant_ref_makes_creation_idempotent(sessions: Sessions) -> None:
    first, created = await create(sessions, merchant_ref="INV-1")
    again, created_again = await create(sessions, merchant_ref="INV-1")
    assert (created, created_again) == (True, False)
    assert again.ref == first.ref
    with pytest.raises(orders.MerchantRefConflict, match="already order"):
        await create(sessions, merchant_ref="INV-1", amount=99000)
    async with sessions.begin() as session:
        assert (await session.run_sync(orders.get_order, "INV-1")) is not None
