"""Purging old audit rows (deliveries and their inbox/quarantine rows, reconcile passes).

Never orders, payments, invoices, notifications or decisions: those are the
business record. Inbox rows still waiting for their workflow are never purged.

Rows go in batches, each in its own transaction: an attempt cut short by its
timeout or a worker shutting down keeps what it deleted, and the next attempt
continues from there instead of rolling a long transaction back every time.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlmodel import col

from mootaflow.domain.payments import InboxState
from mootaflow.store.db import Sessions
from mootaflow.store.tables import Delivery, InboxMutation, QuarantinedMutation, ReconcilePass

BATCH = 5_000


@dataclass(frozen=True)
class Purged:
    deliveries: int
    inbox_rows: int
    quarantined: int


async def purge_before(sessions: Sessions, cutoff: datetime, batch: int = BATCH) -> Purged:
    """Delete in batches, each its own transaction (an exception to this package's rule,
    see __init__): an attempt cut short keeps what it purged so far."""
    quarantined = await _in_batches(
        sessions,
        col(QuarantinedMutation.fingerprint),
        [col(QuarantinedMutation.received_at) < cutoff],
        batch,
    )
    inbox = await _in_batches(
        sessions,
        col(InboxMutation.mutation_id),
        [col(InboxMutation.received_at) < cutoff, col(InboxMutation.state) == InboxState.STARTED],
        batch,
    )
    # Finished reconcile passes are audit rows too; a pass still running is kept.
    await _in_batches(
        sessions,
        col(ReconcilePass.id),
        [col(ReconcilePass.started_at) < cutoff, col(ReconcilePass.finished_at).is_not(None)],
        batch,
    )
    delivery_key = col(Delivery.id)
    deliveries = await _in_batches(
        sessions,
        delivery_key,
        [
            col(Delivery.received_at) < cutoff,
            delivery_key.not_in(select(col(InboxMutation.delivery_id))),
            delivery_key.not_in(select(col(QuarantinedMutation.delivery_id))),
            delivery_key.not_in(select(col(ReconcilePass.delivery_id))),
        ],
        batch,
    )
    return Purged(deliveries=deliveries, inbox_rows=inbox, quarantined=quarantined)


async def _in_batches(
    sessions: Sessions, key: Any, where: Sequence[ColumnElement[bool]], batch: int
) -> int:
    """Delete the rows of `key`'s table matching `where`, `batch` at a time."""
    statement = delete(key.table).where(key.in_(select(key).where(*where).limit(batch)))
    total = 0
    while True:
        async with sessions.begin() as session:
            result = await session.execute(statement)
        deleted = int(result.rowcount)  # type: ignore[attr-defined]
        total += deleted
        if deleted < batch:
            return total
