"""Where a payment's workflow stands, as the Temporal UI shows it: run status and the
steps still pending with their attempt count and last failure."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

log = logging.getLogger("mootaflow.receiver")

# The payment API answers from the database; Temporal's view is a bonus and must
# not make it slow when Temporal is.
_TIMEOUT = 2.0


async def workflow_progress(
    client_of: Callable[[], Awaitable[Client]], workflow_id: str
) -> dict[str, Any] | None:
    """None when the workflow is unknown (forgotten after retention) or Temporal is away."""
    try:
        async with asyncio.timeout(_TIMEOUT):
            client = await client_of()
            description = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            log.info("workflow progress unavailable", extra={"error": str(exc)[:200]})
        return None
    except (TimeoutError, OSError, RuntimeError) as exc:
        log.info("workflow progress unavailable", extra={"error": str(exc)[:200]})
        return None
    pending = [
        {
            "step": activity.activity_type.name,
            "attempt": activity.attempt,
            "state": PendingActivityState.Name(activity.state)
            .removeprefix("PENDING_ACTIVITY_STATE_")
            .lower(),
            "last_failure": activity.last_failure.message[:300] or None,
        }
        for activity in description.raw_description.pending_activities
    ]
    status = description.status.name.lower() if description.status else None
    return {"run_id": description.run_id, "status": status, "pending_steps": pending}
