"""What each payment's notifications did, so a retried activity does not send twice."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from mootaflow.store.db import dialect_insert
from mootaflow.store.tables import Notification


def notification_key(kind: str, mutation_id: str) -> str:
    return f"{kind}:{mutation_id}"


def already_sent(session: Session, kind: str, mutation_id: str) -> Notification | None:
    row = session.get(Notification, notification_key(kind, mutation_id))
    return row if row is not None and row.status == "sent" else None


def record(
    session: Session, kind: str, mutation_id: str, status: str, detail: str, at: datetime
) -> None:
    """What the notification did; once sent it stays sent. One statement."""
    values = {"status": status, "detail": detail[:1000], "updated_at": at}
    row = dialect_insert(session, Notification).values(
        key=notification_key(kind, mutation_id), kind=kind, mutation_id=mutation_id, **values
    )
    session.execute(
        row.on_conflict_do_update(
            index_elements=["key"], set_=values, where=col(Notification.status) != "sent"
        )
    )


def for_mutation(session: Session, mutation_id: str) -> list[Notification]:
    result = session.execute(
        select(Notification).where(col(Notification.mutation_id) == mutation_id)
    )
    return list(result.scalars())
