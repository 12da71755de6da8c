"""Finance decisions through mootaflow (API, console and CLI): checked against the
database, then sent to the payment's workflow as an Update, whose answer is the answer.

- Refusals the database can tell at once (unknown payment, decided already, not
  flagged, unknown order, order paid meanwhile) never reach the workflow.
- The workflow's validator refuses the rest before anything is written to its
  history; its handler answers booked (with the invoice), rejected, or why not.
- No worker takes the decision within MOOTAFLOW_DECISION_ACCEPT_SECONDS: Unavailable. The
  decision carries that deadline, so a worker coming back later refuses it rather
  than apply what its sender was told did not happen. A busy worker whose workflow
  task started before the deadline may still take it: that task is waited for (at
  most its timeout) before anyone is told it was not applied.
- A workflow that already ended (a payment left unresolved, a run from before an
  outage) is started again with the decision (update-with-start): the new run
  resumes the payment without matching it again.
"""

import asyncio
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from mootaflow.domain import decisions
from mootaflow.domain.allocations import DoesNotAddUp, Line, plan
from mootaflow.domain.decisions import (
    Decision,
    DecisionOutcome,
    InvalidDecision,
    Kind,
    parse_decision,
    read_request,
)
from mootaflow.domain.errors import Conflict, Invalid, NotFound, ServiceError, Unavailable
from mootaflow.domain.matching import FlagReason
from mootaflow.domain.payments import OrderStatus, PaymentStatus
from mootaflow.domain.settings import Settings
from mootaflow.store import orders, payments
from mootaflow.store.one_call import OneCall
from mootaflow.store.tables import Payment
from mootaflow.temporal.starts import payment_input, summary
from mootaflow.workflows import search_attributes
from mootaflow.workflows.payment import PaymentWorkflow

# What kind of error each refusal is: a request that cannot be right whatever the
# state, a conflict with the payment's state, or nobody took it in time.
REFUSAL_ERRORS: dict[str, type[ServiceError]] = {
    decisions.INVALID: Invalid,
    decisions.UNKNOWN_ORDER: Invalid,
    decisions.DOES_NOT_ADD_UP: Invalid,
    decisions.ALREADY_DECIDED: Conflict,
    decisions.NOT_AWAITING: Conflict,
    decisions.ORDER_ALREADY_PAID: Conflict,
    decisions.BOOKING_FAILED: Conflict,
    decisions.EXPIRED: Unavailable,
}
# How long to ask again for an Update that no running workflow task can still accept:
# one accepted meanwhile is found at once.
_ASK_AGAIN_SECONDS = 1.0
# Longest note or reason a person may write.
MAX_TEXT = 500


@dataclass(frozen=True)
class Answer:
    workflow_id: str
    # None when the workflow took the decision but had not finished applying it
    # (booking and invoice) within MOOTAFLOW_DECISION_RESULT_SECONDS: it will.
    outcome: DecisionOutcome | None


async def submit_decision(
    reads: OneCall,
    client: Client,
    settings: Settings,
    kind: Kind,
    mutation_id: str,
    by: str,
    *,
    order_ref: str | None = None,
    text: str = "",
    difference: str | None = None,
    allocations: object = None,
) -> Answer:
    """Decide; returns the outcome, or raises the ServiceError saying why not.

    text is the approval note or the rejection reason; difference and allocations
    (approvals) say what happens to money that does not pay one order exactly.
    """
    extra = {"difference": difference, "allocations": allocations} if kind == "approve" else {}
    payment, payload = await reads.read_session(
        _checked, kind, mutation_id, by, order_ref, text, extra
    )
    expires = datetime.now(UTC) + timedelta(seconds=settings.decision_accept_seconds)
    payload["expires_at"] = expires.isoformat()
    handle = await _send(client, settings, kind, payment, payload)
    try:
        async with asyncio.timeout(settings.decision_result_seconds):
            outcome = await handle.result()
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError):
        # Taken already: durable, it completes whether or not we see the answer now.
        return Answer(payment.workflow_id, None)
    except WorkflowUpdateFailedError as failed:
        raise _refused(failed) from None
    if outcome.result == "refused":
        raise refusal_error(outcome.refusal or decisions.INVALID, outcome.detail, outcome)
    return Answer(payment.workflow_id, outcome)


def _checked(
    session: Session,
    kind: Kind,
    mutation_id: str,
    by: str,
    order_ref: str | None,
    text: str,
    extra: dict[str, Any],
) -> tuple[Payment, dict[str, Any]]:
    """What the database can refuse at once; else the payment and the Update's payload."""
    payment, decided = payments.payment_and_decision(session, mutation_id)
    if payment is None:
        raise NotFound("not_found", f"no payment for mutation {mutation_id}")
    if decided is not None:
        verb = "approved" if decided.kind == "approve" else "rejected"
        raise Conflict(
            decisions.ALREADY_DECIDED,
            f"payment {mutation_id} was already {verb} by {decided.decided_by}",
            decided_by=decided.decided_by,
            decided_at=decided.decided_at.isoformat(),
        )
    if payment.status not in decisions.DECIDABLE:
        raise Conflict(
            decisions.NOT_AWAITING,
            f"payment {mutation_id} is {payment.status}, not awaiting a decision",
        )
    if kind == "approve":
        payload: dict[str, Any] = {"by": by, "note": text, "order_ref": order_ref}
        payload |= {name: value for name, value in extra.items() if value is not None}
    else:
        payload = {"by": by, "reason": text}
    reason = FlagReason(payment.flag_reason) if payment.flag_reason else FlagReason.NO_MATCH
    try:
        decision = parse_decision(kind, payload, reason, payment.order_ref)
    except InvalidDecision as exc:
        raise Invalid(decisions.INVALID, str(exc)) from None
    if decision.kind == "approve":
        _fits(session, payment, decision, payload)
    return payment, payload


def _fits(session: Session, payment: Payment, decision: Decision, payload: dict[str, Any]) -> None:
    """The orders exist, are not paid, and the amounts add up (as the orders stand now:
    the workflow's allocation checks again under row locks)."""
    due: dict[str, Decimal] = {}
    lines = []
    for line in decision.lines():
        order = orders.get_order(session, line.order_ref)
        if order is None:
            raise Invalid(decisions.UNKNOWN_ORDER, f"no order {line.order_ref}")
        if order.status == OrderStatus.PAID:
            raise Conflict(
                decisions.ORDER_ALREADY_PAID,
                f"order {order.ref} is already paid by mutation {order.paid_by_mutation_id}",
            )
        due[order.ref] = order.amount_due
        lines.append(Line(order.ref, line.amount))
    try:
        plan(payment.amount, due, lines, decision.difference)
    except DoesNotAddUp as exc:
        raise Invalid(decisions.DOES_NOT_ADD_UP, str(exc)) from None
    # Our references, however the person typed them.
    if decision.allocations:
        payload["allocations"] = [
            {"order_ref": line.order_ref, "amount": line.amount and str(line.amount)}
            for line in lines
        ]
    else:
        payload["order_ref"] = lines[0].order_ref


async def _send(
    client: Client, settings: Settings, kind: Kind, payment: Payment, payload: dict[str, Any]
) -> WorkflowUpdateHandle[DecisionOutcome]:
    """The Update, accepted by the workflow (started again if it had ended)."""
    # Ours, so the Update can be found again if we stop waiting before its fate is known.
    update_id = str(uuid.uuid4())
    try:
        try:
            async with asyncio.timeout(settings.decision_accept_seconds):
                # Awaiting approval, its run is waiting for it, nearly always: the Update
                # alone, with no start request for us to build and the server to check
                # (README, Benchmarks).
                if payment.status == PaymentStatus.AWAITING_APPROVAL:
                    handle = await _update(client, payment.workflow_id, kind, payload, update_id)
                    if handle is not None:
                        return handle
                return await _update_with_start(client, settings, kind, payment, payload, update_id)
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            # (The SDK turns the cancellation by our timeout into its own error.)
            taken = await _taken_late(client, payment.workflow_id, kind, payload, update_id)
    except WorkflowUpdateFailedError as failed:
        raise _refused(failed) from None
    except RPCError as exc:
        # Also while asking whether a worker took it late: unknown, so not "not applied".
        raise _unavailable(settings, f"could not reach Temporal: {exc}") from None
    if taken is None:
        raise _unavailable(
            settings,
            f"no worker took the decision within {settings.decision_accept_seconds:g} s; "
            "it was not applied and will not be: send it again",
        )
    return taken


async def _taken_late(
    client: Client, workflow_id: str, kind: Kind, payload: dict[str, Any], update_id: str
) -> WorkflowUpdateHandle[DecisionOutcome] | None:
    """The Update, if a workflow task accepted it after we stopped waiting; None if none
    did and none will (the sender may then be told it was not applied).

    The workflow refuses a decision past its `expires_at` by the time its workflow task
    started, so only a task that started before then can still accept it: a busy
    worker may finish that task after our wait ended. Wait for that task, at most for
    its timeout (after which its answer no longer counts); ask again for the Update by
    its id (accepted already: the server answers at once). Any other task refuses it.
    Raises RPCError when Temporal cannot say, and the workflow's other refusals.
    """
    workflow = client.get_workflow_handle(workflow_id)
    raw = (await workflow.describe()).raw_description
    task = raw.pending_workflow_task
    started = task.started_time.ToDatetime(UTC) if task.HasField("started_time") else None
    wait = _ASK_AGAIN_SECONDS
    if started is not None and not decisions.expired(read_request(kind, payload), started):
        timeout = raw.execution_config.default_workflow_task_timeout.ToTimedelta()
        wait += timeout.total_seconds()
    try:
        async with asyncio.timeout(wait):
            return await _update(client, workflow_id, kind, payload, update_id)
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError):
        return None
    except WorkflowUpdateFailedError as failed:
        if isinstance(failed.cause, ApplicationError) and failed.cause.type == decisions.EXPIRED:
            return None
        raise


async def _update(
    client: Client, workflow_id: str, kind: Kind, payload: dict[str, Any], update_id: str
) -> WorkflowUpdateHandle[DecisionOutcome] | None:
    """The Update, accepted by the open run; None if there is none (it ended, or
    Temporal lost it)."""
    try:
        # By name: the Updates are called like the decisions (and the signals).
        return await client.get_workflow_handle(workflow_id).start_update(
            kind,
            payload,
            id=update_id,
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            result_type=DecisionOutcome,
        )
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def _update_with_start(
    client: Client,
    settings: Settings,
    kind: Kind,
    payment: Payment,
    payload: dict[str, Any],
    update_id: str,
) -> WorkflowUpdateHandle[DecisionOutcome]:
    mutation = payment.to_mutation()
    start = WithStartWorkflowOperation(
        PaymentWorkflow.run,
        payment_input(mutation, settings),
        id=payment.workflow_id,
        task_queue=settings.task_queue,
        # Running: the decision goes to that run. Ended: a new run resumes the payment.
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        search_attributes=search_attributes.at_start(mutation),
        static_summary=summary(mutation),
    )
    return await client.start_update_with_start_workflow(
        kind,
        payload,
        id=update_id,
        start_workflow_operation=start,
        wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        result_type=DecisionOutcome,
    )


def refusal_error(
    refusal: str, detail: str, outcome: DecisionOutcome | None = None
) -> ServiceError:
    extra: dict[str, Any] = {}
    if outcome is not None:
        extra["payment_status"] = outcome.status
        if outcome.decided_by:
            extra["decided_by"] = outcome.decided_by
    return REFUSAL_ERRORS.get(refusal, Conflict)(refusal, detail, **extra)


def _refused(failed: WorkflowUpdateFailedError) -> ServiceError:
    """The validator's (or handler's) refusal, read from the ApplicationError it raised."""
    cause = failed.cause
    if isinstance(cause, ApplicationError) and cause.type in decisions.REFUSALS:
        error = refusal_error(cause.type, cause.message)
        if cause.type == decisions.ALREADY_DECIDED and cause.details:
            error.extra["decided_by"] = cause.details[0]
        return error
    return Conflict("decision_failed", str(cause or failed))


def _unavailable(settings: Settings, detail: str) -> Unavailable:
    return Unavailable(
        "unavailable", detail, retry_after=math.ceil(settings.decision_accept_seconds)
    )


def decision_text(name: str, value: object) -> str | None:
    """A note, reason or order reference as a person typed it: None when empty."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT or "\x00" in value:
        raise Invalid(
            decisions.INVALID, f"'{name}' must be a string of at most {MAX_TEXT} characters"
        )
    return value.strip() or None


def reject_reason(value: object) -> str:
    reason = decision_text("reason", value)
    if not reason:
        raise Invalid(decisions.INVALID, "'reason' is required to reject")
    return reason
