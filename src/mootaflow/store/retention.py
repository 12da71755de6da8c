"""Purging old audit rows (deliveries and their inbox/quarantine rows, reconcile passes).

Never orders, payments, invoices, notifications or decisions: those are the
business record. Inbox rows still waiting for their workflow are never purged.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from mootaflow.store.tables import Delivery, InboxMutation, QuarantinedMutation, ReconcilePass


@dataclass(frozen=True)
class Purged:
    deliveries: int
    inbox_rows: int
    quarantined: int


async def purge_before(session: AsyncSession, cutoff: datetime) -> Purged:
    async with session.begin():
        quarantined = await session.execute(
            delete(QuarantinedMutation).where(col(QuarantinedMutation.received_at) < cutoff)
        )
        inbox = await session.execute(
            delete(InboxMutation).where(
                col(InboxMutation.received_at) < cutoff, col(InboxMutation.state) == "started"
            )
        )
        # Finished reconcile passes are audit rows too; a pass still running is kept.
        await session.execute(
            delete(ReconcilePass).where(
                col(ReconcilePass.started_at) < cutoff,
                col(ReconcilePass.finished_at).is_not(None),
            )
        )
        deliveries = await session.execute(
            delete(Delivery).where(
                col(Delivery.received_at) < cutoff,
                col(Delivery.id).not_in(select(col(InboxMutation.delivery_id))),
                col(Delivery.id).not_in(select(col(QuarantinedMutation.delivery_id))),
                col(Delivery.id).not_in(select(col(ReconcilePass.delivery_id))),
            )
        )
    return Purged(
        deliveries=int(deliveries.rowcount),  # type: ignore[attr-defined]
        inbox_rows=int(inbox.rowcount),  # type: ignore[attr-defined]
        quarantined=int(quarantined.rowcount),  # type: ignore[attr-defined]
    )
