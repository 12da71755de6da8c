"""Finance decisions through mootaflow: validated here, then signalled to the workflow.

The workflow validates again (a decision typed in the Web UI skips this), but a
person using the API or the CLI gets a precise refusal instead of a signal that
the workflow would have to ignore.
"""

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from temporalio.client import Client

from mootaflow.domain.decisions import InvalidDecision, parse_decision
from mootaflow.domain.matching import FlagReason
from mootaflow.receiver.errors import ApiError
from mootaflow.store import orders, payments
from mootaflow.store.db import Sessions


async def submit_decision(
    sessions: Sessions,
    client: Callable[[], Awaitable[Client]],
    kind: Literal["approve", "reject"],
    mutation_id: str,
    by: str,
    *,
    order_ref: str | None = None,
    text: str = "",
) -> dict[str, Any]:
    """Check the decision against the database, then send it; returns what was sent.

    text is the approval note or the rejection reason.
    """
    async with sessions() as session:
        payment = await payments.get_payment(session, mutation_id)
        if payment is None:
            raise ApiError(404, "not_found", f"no payment for mutation {mutation_id}")
        if await payments.get_decision(session, mutation_id) is not None:
            raise ApiError(409, "already_decided", f"payment {mutation_id} is already decided")
        if payment.status != "awaiting_approval":
            raise ApiError(
                409,
                "not_awaiting_decision",
                f"payment {mutation_id} is {payment.status}, not awaiting a decision",
            )
        if kind == "approve":
            payload: dict[str, Any] = {"by": by, "note": text, "order_ref": order_ref}
        else:
            payload = {"by": by, "reason": text}
        reason = FlagReason(payment.flag_reason) if payment.flag_reason else FlagReason.NO_MATCH
        try:
            decision = parse_decision(kind, payload, reason, payment.order_ref)
        except InvalidDecision as exc:
            raise ApiError(422, "invalid_decision", str(exc)) from None
        if decision.order_ref is not None:
            order = await orders.get_order(session, decision.order_ref)
            if order is None:
                raise ApiError(422, "unknown_order", f"no order {decision.order_ref}")
            if order.paid_by_mutation_id is not None:
                raise ApiError(
                    409,
                    "order_already_paid",
                    f"order {order.ref} is already paid by mutation {order.paid_by_mutation_id}",
                )
            payload["order_ref"] = order.ref
    try:
        handle = (await client()).get_workflow_handle(payment.workflow_id)
        await handle.signal(kind, payload)
    except Exception as exc:
        raise ApiError(503, "temporal_unavailable", f"could not reach Temporal: {exc}") from None
    return {"mutation_id": mutation_id, "workflow_id": payment.workflow_id, kind: payload}
