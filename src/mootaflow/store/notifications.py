"""What each payment's notifications did, so a retried activity does not send twice."""

from datetime import datetime

from sqlalchemy import Insert, bindparam, select
from sqlalchemy.orm import Session
from sqlmodel import col

from mootaflow.store.db import DialectInsert, built_once, table_of
from mootaflow.store.tables import Notification


def notification_key(kind: str, mutation_id: str) -> str:
    return f"{kind}:{mutation_id}"


def already_sent(session: Session, kind: str, mutation_id: str) -> Notification | None:
    row = session.get(Notification, notification_key(kind, mutation_id))
    return row if row is not None and row.status == "sent" else None


def _record(insert: DialectInsert) -> Insert:
    row = insert(table_of(Notification))
    changed = {name: row.excluded[name] for name in ("status", "detail", "updated_at")}
    return row.on_conflict_do_update(
        index_elements=["key"], set_=changed, where=col(Notification.status) != "sent"
    )


_RECORD = built_once(_record)


def record(
    session: Session, kind: str, mutation_id: str, status: str, detail: str, at: datetime
) -> None:
    """What the notification did; once sent it stays sent. One statement."""
    key = notification_key(kind, mutation_id)
    session.execute(
        _RECORD(session),
        {"key": key, "kind": kind, "mutation_id": mutation_id, "status": status,
         "detail": detail[:1000], "updated_at": at},
    )  # fmt: skip


_FOR_MUTATION = select(Notification).where(col(Notification.mutation_id) == bindparam("id"))


def for_mutation(session: Session, mutation_id: str) -> list[Notification]:
    return list(session.scalars(_FOR_MUTATION, {"id": mutation_id}))
