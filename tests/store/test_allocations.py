"""The ledger under concurrency: two transfers allocated to one order at once never
give it more than it owes; the loser is refused with the numbers."""

import asyncio
from datetime import timedelta
from decimal import Decimal

from mootaflow.domain.allocations import Allocated, Difference, Line
from mootaflow.domain.moota import parse_mutation
from mootaflow.store import allocations, orders, payments
from mootaflow.store.db import Sessions
from tests.store.test_payments import NOW, open_order
from tests.support.moota import mutation


async def transfer(sessions: Sessions, amount: Decimal) -> str:
    parsed = parse_mutation(mutation(amount=str(amount)))
    async with sessions.begin() as session:
        await session.run_sync(payments.record_payment, parsed, NOW)
    return parsed.mutation_id


async def allocate(
    sessions: Sessions, mutation_id: str, lines: list[Line], difference: Difference | None
) -> Allocated:
    async with sessions.begin() as session:
        return await session.run_sync(
            allocations.allocate,
            mutation_id,
            lines,
            difference,
            "Sari",
            "test",
            NOW,
            timedelta(days=7),
        )


async def owed(sessions: Sessions, ref: str) -> tuple[str, Decimal]:
    async with sessions.begin() as session:
        order = await session.run_sync(orders.get_order, ref)
    assert order is not None
    return order.status, order.amount_due


async def test_two_transfers_racing_for_the_rest_of_one_order(sessions: Sessions) -> None:
    ref = await open_order(sessions)
    _, total = await owed(sessions, ref)
    part = (total * 2 / 3).quantize(Decimal(1))  # two of these are more than it owes
    first, second = await transfer(sessions, part), await transfer(sessions, part)
    results = await asyncio.gather(
        allocate(sessions, first, [Line(ref, part)], None),
        allocate(sessions, second, [Line(ref, part)], None),
    )
    assert sorted(r.done for r in results) == [False, True]
    [loser] = [r for r in results if not r.done]
    assert loser.refusal == "does_not_add_up"
    assert f"{total - part:,}".replace(",", ".") in loser.detail  # what it still owes
    assert await owed(sessions, ref) == ("partially_paid", total - part)
    async with sessions.begin() as session:
        rows = await session.run_sync(allocations.allocations_to, ref)
    assert sum(r.amount for r in rows) == part


async def test_allocating_again_reports_the_first_allocation(sessions: Sessions) -> None:
    ref = await open_order(sessions)
    _, total = await owed(sessions, ref)
    mutation_id = await transfer(sessions, total + 500)
    first = await allocate(sessions, mutation_id, [Line(ref)], Difference.REFUND)
    again = await allocate(sessions, mutation_id, [Line(ref)], Difference.ACCEPT)
    assert first.done and again.done
    assert (again.completed, again.refund, again.surplus) == ([ref], Decimal(500), Decimal(0))
    async with sessions.begin() as session:
        assert len(await session.run_sync(allocations.allocations_of, mutation_id)) == 2


async def test_a_paid_order_takes_nothing_more(sessions: Sessions) -> None:
    ref = await open_order(sessions)
    _, total = await owed(sessions, ref)
    paid = await allocate(sessions, await transfer(sessions, total), [Line(ref)], None)
    late = await allocate(sessions, await transfer(sessions, total), [Line(ref)], None)
    assert paid.done and not late.done
    assert late.refusal == "order_already_paid"
