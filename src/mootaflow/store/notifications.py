"""What each payment's notifications did, so a retried activity does not send twice."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from mootaflow.store.tables import Notification


def notification_key(kind: str, mutation_id: str) -> str:
    return f"{kind}:{mutation_id}"


def already_sent(session: Session, kind: str, mutation_id: str) -> Notification | None:
    row = session.get(Notification, notification_key(kind, mutation_id))
    return row if row is not None and row.status == "sent" else None


def record(
    session: Session, kind: str, mutation_id: str, status: str, detail: str, at: datetime
) -> None:
    key = notification_key(kind, mutation_id)
    row = session.get(Notification, key)
    if row is None:
        session.add(
            Notification(
                key=key,
                kind=kind,
                mutation_id=mutation_id,
                status=status,
                detail=detail[:1000],
                updated_at=at,
            )
        )
    elif row.status != "sent":
        row.status, row.detail, row.updated_at = status, detail[:1000], at


async def for_mutation(session: AsyncSession, mutation_id: str) -> list[Notification]:
    result = await session.execute(
        select(Notification).where(col(Notification.mutation_id) == mutation_id)
    )
    return list(result.scalars())
