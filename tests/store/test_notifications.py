from datetime import UTC, datetime, timedelta

from mootaflow.store import notifications
from mootaflow.store.db import Sessions

AT = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


async def record(sessions: Sessions, status: str, detail: str, minutes: int) -> None:
    async with sessions.begin() as session:
        await session.run_sync(
            notifications.record, "customer_email", "m1", status, detail,
            AT + timedelta(minutes=minutes),
        )  # fmt: skip


async def shown(sessions: Sessions) -> list[tuple[str, str, datetime]]:
    async with sessions() as session:
        rows = await session.run_sync(notifications.for_mutation, "m1")
    return [(row.status, row.detail, row.updated_at) for row in rows]


async def test_a_notification_is_recorded_once_and_stays_sent(sessions: Sessions) -> None:
    await record(sessions, "failed", "mail server said 451", 0)
    assert await shown(sessions) == [("failed", "mail server said 451", AT)]
    await record(sessions, "sent", "x" * 1500, 1)  # the retry got through
    assert await shown(sessions) == [("sent", "x" * 1000, AT + timedelta(minutes=1))]
    await record(sessions, "failed", "a late attempt", 2)  # never un-sends
    assert await shown(sessions) == [("sent", "x" * 1000, AT + timedelta(minutes=1))]
