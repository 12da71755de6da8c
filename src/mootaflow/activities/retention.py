"""The retention purge, run daily by a Temporal schedule."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio import activity

from mootaflow.store.db import Sessions
from mootaflow.store.retention import purge_before

log = logging.getLogger("mootaflow.activities")


@dataclass(frozen=True)
class PurgeResult:
    cutoff: datetime
    deliveries: int
    inbox_rows: int
    quarantined: int


class RetentionActivities:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    @activity.defn
    async def purge_audit_rows(self, retention_days: int) -> PurgeResult:
        cutoff = datetime.now(UTC) - timedelta(days=retention_days)
        async with self._sessions() as session:
            purged = await purge_before(session, cutoff)
        result = PurgeResult(cutoff, purged.deliveries, purged.inbox_rows, purged.quarantined)
        log.info("audit rows purged", extra={**result.__dict__, "cutoff": cutoff.isoformat()})
        return result
