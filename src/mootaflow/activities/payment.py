"""Database activities of PaymentWorkflow. Each is idempotent: safe to retry at any point."""

import logging
from datetime import UTC, datetime

from temporalio import activity

from mootaflow.domain.moota import Mutation
from mootaflow.store.db import Sessions
from mootaflow.store.payments import record_payment

log = logging.getLogger("mootaflow.activities")


class PaymentActivities:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    @activity.defn
    async def record_mutation(self, mutation: Mutation) -> bool:
        """Write the payment row; True if this attempt created it."""
        async with self._sessions() as session:
            created = await record_payment(session, mutation, datetime.now(UTC))
        log.info(
            "payment recorded",
            extra={
                "mutation_id": mutation.mutation_id,
                "workflow_id": activity.info().workflow_id,
                "inserted": created,
            },
        )
        return created
