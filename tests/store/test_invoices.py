import asyncio
from datetime import UTC, datetime

from mootaflow.store import invoices
from mootaflow.store.db import Sessions

NOV = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


async def issue(sessions: Sessions, n: int, at: datetime = NOV) -> str:
    async with sessions.begin() as session:
        invoice = await session.run_sync(invoices.issue_invoice, f"m{n}", f"MF-ORDR-{n:04d}", at)
    return invoice.number


async def test_numbers_are_sequential_per_month_and_issued_once(sessions: Sessions) -> None:
    numbers = await asyncio.gather(*(issue(sessions, n) for n in range(1, 11)))
    assert sorted(numbers) == [f"INV-202611-{n:05d}" for n in range(1, 11)]
    # Issuing again for the same payment returns its invoice, using no number.
    assert await issue(sessions, 3) in numbers
    assert await issue(sessions, 11) == "INV-202611-00011"
    # A new month starts again at 1 (months are Jakarta months).
    december = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 1 Dec 00:00 in Jakarta
    assert await issue(sessions, 12, december) == "INV-202612-00001"
