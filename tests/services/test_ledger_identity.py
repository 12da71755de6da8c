"""For any day: money in = allocated to orders + refunds + surpluses kept + waiting
for finance (+ what finance said is not an order payment), to the rupiah.

A randomized day of transfers and decisions, written as the activities write them
(store functions in their own transactions), then read back as the daily summary.
Runs on SQLite, and on PostgreSQL when MOOTAFLOW_TEST_POSTGRES_URL is set."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mootaflow.domain.allocations import Difference, Line
from mootaflow.domain.matching import FlagReason, MatchOutcome
from mootaflow.domain.moota import JAKARTA, parse_mutation
from mootaflow.domain.orders import NewOrder
from mootaflow.domain.payments import PaymentStatus
from mootaflow.services.params import Days
from mootaflow.services.reports import accounted, daily_summary, money_in
from mootaflow.store import allocations, orders, payments
from mootaflow.store.db import Sessions, create_engine, session_factory, upgrade_schema
from tests.support.moota import mutation

DAY = datetime(2026, 11, 20, 10, 0, tzinfo=JAKARTA)
KINDS = (
    "exact",
    "waiting",
    "rejected",
    "unresolved",
    "short_accept",
    "short_partial",
    "over_accept",
    "over_refund",
    "several",
)
transfers = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.integers(10_000, 900_000),  # an order's base amount
        st.integers(1, 90_000),  # how far the transfer is from it
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(day=transfers)
def test_every_rupiah_of_a_day_is_accounted_for(
    database_url: str, day: list[tuple[str, int, int]]
) -> None:
    asyncio.run(_check(database_url, day))


async def _check(url: str, day: list[tuple[str, int, int]]) -> None:
    engine = create_engine(url)
    try:
        await upgrade_schema(engine)
        sessions = session_factory(engine)
        account = uuid.uuid4().hex[:12]  # this example's rows only
        came_in = Decimal(0)
        for n, (kind, base, delta) in enumerate(day):
            came_in += await _one(sessions, account, n, kind, base, delta)
        [row] = await daily_summary(sessions, Days(DAY.date(), DAY.date()), account)
        assert money_in(row) == came_in
        assert accounted(row) == came_in, (row.buckets, row.ledger)
    finally:
        await engine.dispose()


async def _order(sessions: Sessions, account: str, base: int) -> str:
    async with sessions.begin() as session:
        order, _ = await orders.create_order(
            session,
            NewOrder(account_number=account, amount=Decimal(base)),
            codes=orders.CodeRange(1, 999),
            default_expiry=timedelta(days=3),
            now=DAY.astimezone(UTC) - timedelta(hours=1),
        )
    return order.ref


async def _one(
    sessions: Sessions, account: str, n: int, kind: str, base: int, delta: int
) -> Decimal:
    refs = [await _order(sessions, account, base + 1000 * i) for i in range(3)]
    async with sessions.begin() as session:
        owed = [(await session.run_sync(orders.get_order, ref)).amount for ref in refs]  # type: ignore[union-attr]
    amount = {
        "exact": owed[0],
        "short_accept": owed[0] - delta,
        "short_partial": owed[0] - delta,
        "over_accept": owed[0] + delta,
        "over_refund": owed[0] + delta,
        "several": sum(owed, Decimal(0)) + delta,
    }.get(kind, Decimal(base + delta))
    amount = max(amount, Decimal(1))
    parsed = parse_mutation(
        mutation(
            account_number=account,
            amount=str(amount),
            date=(DAY + timedelta(minutes=n)).strftime("%Y-%m-%d %H:%M:%S"),
        )
    )
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        await session.run_sync(payments.record_payment, parsed, now)
    mutation_id = parsed.mutation_id
    async with sessions.begin() as session:
        if kind == "exact":
            assert (await session.run_sync(payments.mark_paid, mutation_id, refs[0], now)).paid
        elif kind in ("waiting", "rejected", "unresolved"):
            flag = MatchOutcome("flagged", reason=FlagReason.NO_MATCH)
            await session.run_sync(payments.save_outcome, mutation_id, flag, now)
            if kind != "waiting":
                status = PaymentStatus.REJECTED if kind == "rejected" else PaymentStatus.UNRESOLVED
                await session.run_sync(payments.set_status, mutation_id, status, now)
        else:
            lines = [Line(ref) for ref in refs] if kind == "several" else [Line(refs[0])]
            choice = Difference(kind.split("_")[1]) if "_" in kind else Difference.REFUND
            done = await session.run_sync(
                allocations.allocate,
                mutation_id,
                lines,
                choice,
                "Sari",
                "test",
                now,
                timedelta(days=7),
            )
            assert done.done, done.detail
    return amount
