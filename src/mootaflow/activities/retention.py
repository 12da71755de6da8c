"""The retention purge, run daily by a Temporal schedule."""

import logging
from datetime import UTC, datetime, timedelta

from temporalio import activity

from mootaflow.activities import contracts
from mootaflow.activities.contracts import PurgeResult
from mootaflow.store.db import Sessions
from mootaflow.store.retention import purge_before

log = logging.getLogger("mootaflow.activities")


class RetentionActivities:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    @activity.defn(name=contracts.PURGE_AUDIT_ROWS.name)
    async def purge_audit_rows(self, retention_days: int) -> PurgeResult:
        cutoff = datetime.now(UTC) - timedelta(days=retention_days)
        async with self._sessions() as session:
            purged = await purge_before(session, cutoff)
        result = PurgeResult(cutoff, purged.deliveries, purged.inbox_rows, purged.quarantined)
        log.info("audit rows purged", extra={**result.__dict__, "cutoff": cutoff.isoformat()})
        return result
