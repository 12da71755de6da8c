"""Flagged payments wait for finance, on the time-skipping test server: hours pass in ms.

Decisions arrive as Updates (answered with the outcome) or as signals typed in the
Web UI; both go through the same checks and the same code.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from mootaflow.domain.decisions import DecisionOutcome
from mootaflow.domain.moota import parse_mutation
from mootaflow.domain.orders import NewOrder
from mootaflow.domain.settings import Settings
from mootaflow.store import invoices, orders, payments
from mootaflow.store.databases import Databases
from mootaflow.store.db import Sessions
from mootaflow.store.tables import Order
from mootaflow.temporal.worker import build_worker
from mootaflow.workflows.payment import PaymentWorkflow
from mootaflow.workflows.payment_types import PaymentState
from tests.support.local import steps_taken
from tests.support.moota import mutation
from tests.support.pause import PauseAfter
from tests.support.smtp import SmtpServer
from tests.support.temporal import skip_time, start_payment
from tests.workflows.conftest import FINANCE_EMAIL

Handle = WorkflowHandle[PaymentWorkflow, PaymentState]


# Runs a test left waiting. The time-skipping server shared by the session stops
# skipping time while any workflow has a task nobody polls: end them after each test.
_LEFT_OPEN: list[Handle] = []


@pytest.fixture
async def env(
    time_env: WorkflowEnvironment, settings: Settings, sessions: Sessions, databases: Databases
) -> AsyncIterator[WorkflowEnvironment]:
    async with (
        httpx.AsyncClient() as http,
        build_worker(time_env.client, settings, databases, http),
    ):
        yield time_env
        while _LEFT_OPEN:
            handle = _LEFT_OPEN.pop()
            description = await handle.describe()
            if description.status is not None and description.status.name == "RUNNING":
                await handle.terminate("test over")


async def new_order(sessions: Sessions, amount: int = 150000) -> Order:
    async with sessions.begin() as session:
        order, _ = await orders.create_order(
            session,
            NewOrder(account_number="1234567890", amount=Decimal(amount), customer_email="c@x.id"),
            codes=orders.CodeRange(1, 999),
            default_expiry=timedelta(hours=24),
            now=datetime.now(UTC) - timedelta(minutes=1),
        )
    return order


async def flagged(env: WorkflowEnvironment, settings: Settings, **fields: object) -> Handle:
    """Start a payment and return once it waits for finance (and finance was told)."""
    parsed = parse_mutation(mutation(**fields))
    handle = await start_payment(env.client, settings.task_queue, parsed)
    _LEFT_OPEN.append(handle)
    while "finance" not in (state := await handle.query(PaymentWorkflow.status)).notifications:
        assert state.status in ("received", "awaiting_approval"), state
        await env.sleep(timedelta(seconds=0))
    assert state.status == "awaiting_approval"
    return handle


async def decide(handle: Handle, kind: str, payload: dict[str, Any]) -> DecisionOutcome:
    """An Update, as the API sends it; its answer is the outcome."""
    outcome: DecisionOutcome = await handle.execute_update(
        kind, payload, result_type=DecisionOutcome
    )
    return outcome


async def refusal(handle: Handle, kind: str, payload: object) -> ApplicationError:
    """The ApplicationError an Update was refused with (by the validator or handler)."""
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(kind, payload, result_type=DecisionOutcome)
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def update_events(handle: Handle) -> list[str]:
    names = {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: "accepted",
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: "completed",
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED: "rejected",
    }
    history = await handle.fetch_history()
    return [names[e.event_type] for e in history.events if e.event_type in names]


async def test_approve_books_the_flagged_order(
    env: WorkflowEnvironment, settings: Settings, sessions: Sessions, smtp: SmtpServer
) -> None:
    order = await new_order(sessions)
    handle = await flagged(env, settings, amount=int(order.amount) - 100, note=order.ref)
    assert (await handle.query(PaymentWorkflow.status)).flag_reason == "underpaid"
    [notice] = smtp.sink.to(FINANCE_EMAIL)
    assert "underpaid" in str(notice["Subject"])

    await handle.signal(
        PaymentWorkflow.approve,
        {"by": "Sari", "note": "customer short by 100", "difference": "accept"},
    )
    state = await handle.result()
    assert (state.status, state.order_ref) == ("paid", order.ref)
    assert state.decision is not None and state.decision.by == "Sari"
    assert state.invoice_number is not None
    assert len(smtp.sink.to("c@x.id")) == 1
    async with sessions.begin() as session:
        record = await payments.get_decision(session, state.mutation_id)
    assert record is not None
    assert (record.kind, record.decided_by, record.note, record.flag_reason) == (
        "approve",
        "Sari",
        "customer short by 100",
        "underpaid",
    )


async def test_update_answers_with_the_outcome(
    env: WorkflowEnvironment, settings: Settings, sessions: Sessions
) -> None:
    order = await new_order(sessions)
    handle = await flagged(env, settings, amount=int(order.amount) + 500, note=order.ref)
    outcome = await decide(
        handle, "approve", {"by": "Sari", "note": "keep the change", "difference": "accept"}
    )
    assert (outcome.result, outcome.by, outcome.status, outcome.order_ref) == (
        "booked",
        "Sari",
        "paid",
        order.ref,
    )
    assert outcome.invoice_number is not None and outcome.invoice_number.startswith("INV-")
    # A second decision is refused before anything is written, naming who decided.
    late = await refusal(handle, "reject", {"by": "Budi", "reason": "looks odd"})
    assert (late.type, late.details) == ("already_decided", ("Sari",))
    assert "already approved by Sari" in late.message
    state = await handle.result()
    assert (state.status, state.invoice_number) == ("paid", outcome.invoice_number)
    assert await update_events(handle) == ["accepted", "completed"]
    # One step books it: the allocation, the decision's audit row and the invoice
    # share allocate's transaction.
    steps = [step for _, step in await steps_taken(handle)]
    assert "allocate" in steps and not {"record_decision", "generate_invoice"} & set(steps)
    async with sessions.begin() as session:
        record = await payments.get_decision(session, state.mutation_id)
        invoice = await invoices.get_invoice(session, outcome.invoice_number)
    assert record is not None and (record.kind, record.decided_by) == ("approve", "Sari")
    assert invoice is not None and invoice.pdf and invoice.order_ref == order.ref


async def test_reject_books_nothing(
    env: WorkflowEnvironment, settings: Settings, sessions: Sessions
) -> None:
    handle = await flagged(env, settings, amount=777)
    outcome = await decide(handle, "reject", {"by": "Sari", "reason": "personal transfer"})
    assert (outcome.result, outcome.status) == ("rejected", "rejected")
    state = await handle.result()
    assert state.status == "rejected"
    async with sessions.begin() as session:
        payment = await payments.get_payment(session, state.mutation_id)
        record = await payments.get_decision(session, state.mutation_id)
    assert payment is not None and payment.status == "rejected"
    assert record is not None and (record.kind, record.note) == ("reject", "personal transfer")


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ("yes please", "approve needs a JSON object, got str"),
        ({"note": "ok"}, "'by' is required"),
        ({"by": "Sari"}, "approving a 'no_match' payment needs an order_ref"),
        ({"by": "Sari", "order_ref": 7}, "'order_ref' must be a string"),
    ],
)
async def test_validator_refuses_an_invalid_update_before_history(
    env: WorkflowEnvironment, settings: Settings, payload: object, complaint: str
) -> None:
    handle = await flagged(env, settings, amount=777)
    refused = await refusal(handle, "approve", payload)
    assert (refused.type, refused.message) == ("invalid_decision", complaint)
    assert await update_events(handle) == []
    assert (await handle.query(PaymentWorkflow.status)).status == "awaiting_approval"


async def test_expired_decision_is_refused(env: WorkflowEnvironment, settings: Settings) -> None:
    """The API gave up waiting (503) at expires_at: a worker seeing it later refuses it."""
    handle = await flagged(env, settings, amount=777)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    refused = await refusal(handle, "reject", {"by": "Sari", "reason": "test", "expires_at": past})
    assert refused.type == "decision_expired"
    assert (await handle.query(PaymentWorkflow.status)).status == "awaiting_approval"


@pytest.mark.parametrize("reason", ["no_match", "ambiguous"])
async def test_approve_with_a_chosen_order(
    env: WorkflowEnvironment, settings: Settings, sessions: Sessions, reason: str
) -> None:
    first, second = await new_order(sessions), await new_order(sessions, 99000)
    text = f"{first.ref} {second.ref}" if reason == "ambiguous" else "no reference"
    handle = await flagged(env, settings, amount=5, description=text)
    assert (await handle.query(PaymentWorkflow.status)).flag_reason == reason

    # Without an order the approval cannot be applied; the workflow says so and waits on.
    await handle.signal(PaymentWorkflow.approve, {"by": "Sari"})
    # A transfer of Rp 5 for a larger order: finance says what happens to the rest.
    await handle.signal(
        PaymentWorkflow.approve,
        {"by": "Sari", "order_ref": second.ref, "difference": "accept"},
    )
    state = await handle.result()
    assert (state.status, state.order_ref) == ("paid", second.ref)
    assert state.refused_signals == [
        f"approve ignored: approving a '{reason}' payment needs an order_ref"
    ]


async def test_reminder_after_a_day_then_unresolved_after_three(
    env: WorkflowEnvironment, settings: Settings, sessions: Sessions, smtp: SmtpServer
) -> None:
    handle = await flagged(env, settings, amount=777)
    await env.sleep(timedelta(hours=25))
    state = await handle.query(PaymentWorkflow.status)
    assert (state.status, state.reminders) == ("awaiting_approval", 1)
    subjects = [str(m["Subject"]) for m in smtp.sink.to(FINANCE_EMAIL)]
    assert len(subjects) == 2 and subjects[1].startswith("Reminder 1:")

    state = await handle.result()
    assert (state.status, state.reminders) == ("unresolved", 2)
    async with sessions.begin() as session:
        payment = await payments.get_payment(session, state.mutation_id)
    assert payment is not None and payment.status == "unresolved"
    description = await handle.describe()
    assert description.status is not None and description.status.name == "COMPLETED"


async def test_decision_while_a_reminder_is_stuck_is_applied(
    env: WorkflowEnvironment, settings: Settings, sessions: Sessions, smtp: SmtpServer
) -> None:
    """Finance's mailbox is down from the first reminder on: that reminder retries for
    days. A decision meanwhile is applied at once, and the payment never turns
    unresolved (it used to be dropped when the reminder returned after the deadline)."""
    order = await new_order(sessions)
    handle = await flagged(env, settings, amount=int(order.amount) - 1, note=order.ref)
    smtp.sink.deferred.add(FINANCE_EMAIL)
    await skip_time(env, timedelta(hours=30))
    state = await handle.query(PaymentWorkflow.status)
    assert (state.status, state.reminders) == ("awaiting_approval", 1)
    assert "finance_reminder_1" not in state.notifications  # still retrying
    assert smtp.sink.deferrals > 1

    outcome = await decide(handle, "approve", {"by": "Sari", "difference": "accept"})
    assert (outcome.result, outcome.order_ref) == ("booked", order.ref)
    await skip_time(env, timedelta(hours=72))  # well past the deadline
    state = await handle.result()
    assert (state.status, state.decision.by if state.decision else None) == ("paid", "Sari")
    assert len(smtp.sink.to("c@x.id")) == 1
    # The stuck reminder was called off once decided, not left retrying.
    description = await handle.describe()
    assert not description.raw_description.pending_activities


async def test_decision_before_the_wait_is_held_and_applied(
    time_env: WorkflowEnvironment, settings: Settings, sessions: Sessions, databases: Databases
) -> None:
    """A decision typed in the Web UI before the workflow even matched the payment
    (the worker was down) is held, then applied once the payment is flagged."""
    order = await new_order(sessions)
    parsed = parse_mutation(mutation(amount=int(order.amount) - 50, note=order.ref))
    handle = await start_payment(time_env.client, settings.task_queue, parsed)
    await handle.signal(
        PaymentWorkflow.approve, {"by": "Sari", "note": "early", "difference": "accept"}
    )
    async with (
        httpx.AsyncClient() as http,
        build_worker(time_env.client, settings, databases, http),
    ):
        state = await handle.result()
    assert (state.status, state.order_ref, state.flag_reason) == ("paid", order.ref, "underpaid")
    assert state.decision is not None and state.decision.note == "early"
    assert state.refused_signals == []


async def test_update_in_the_window_before_the_wait_is_held_and_applied(
    time_env: WorkflowEnvironment, settings: Settings, sessions: Sessions, databases: Databases
) -> None:
    """The database already says awaiting_approval (settle_payment committed) while the
    workflow has not processed that result: an Update then is held, not refused."""
    order = await new_order(sessions)
    parsed = parse_mutation(mutation(amount=int(order.amount) + 7, note=order.ref))
    pause = PauseAfter("settle_payment")
    async with (
        httpx.AsyncClient() as http,
        build_worker(time_env.client, settings, databases, http, interceptors=[pause]),
    ):
        handle = await start_payment(time_env.client, settings.task_queue, parsed)
        await asyncio.wait_for(pause.reached.wait(), 30)
        async with sessions.begin() as session:
            payment = await payments.get_payment(session, parsed.mutation_id)
        assert payment is not None and payment.status == "awaiting_approval"
        assert (await handle.query(PaymentWorkflow.status)).status == "received"

        decision = asyncio.create_task(
            decide(handle, "approve", {"by": "Sari", "difference": "accept"})
        )
        async with asyncio.timeout(30):
            while not (await handle.query(PaymentWorkflow.status)).held_decisions:
                await asyncio.sleep(0.05)
        assert (await handle.query(PaymentWorkflow.status)).held_decisions == ["approve by Sari"]
        pause.released.set()
        outcome = await asyncio.wait_for(decision, 30)
        state = await handle.result()
    assert (outcome.result, outcome.order_ref) == ("booked", order.ref)
    assert (state.status, state.flag_reason) == ("paid", "overpaid")


async def test_held_decision_is_refused_when_the_payment_needs_none(
    time_env: WorkflowEnvironment, settings: Settings, sessions: Sessions, databases: Databases
) -> None:
    order = await new_order(sessions)
    parsed = parse_mutation(mutation(amount=int(order.amount)))  # an exact match
    handle = await start_payment(time_env.client, settings.task_queue, parsed)
    await handle.signal(PaymentWorkflow.reject, {"by": "Sari", "reason": "hasty"})
    async with (
        httpx.AsyncClient() as http,
        build_worker(time_env.client, settings, databases, http),
    ):
        state = await handle.result()
    assert state.status == "paid"
    [refused] = state.refused_signals
    assert refused.startswith("reject by Sari ignored: payment") and "is paid" in refused


async def test_two_decisions_at_once_one_wins(
    env: WorkflowEnvironment, settings: Settings, sessions: Sessions
) -> None:
    order = await new_order(sessions)
    handle = await flagged(env, settings, amount=int(order.amount) - 3, note=order.ref)

    async def attempt(kind: str, payload: dict[str, Any]) -> DecisionOutcome | ApplicationError:
        try:
            return await decide(handle, kind, payload)
        except WorkflowUpdateFailedError as failed:
            assert isinstance(failed.cause, ApplicationError)
            return failed.cause

    sari, budi = await asyncio.gather(
        attempt("approve", {"by": "Sari", "difference": "accept"}),
        attempt("reject", {"by": "Budi", "reason": "not ours"}),
    )
    answers = {"Sari": sari, "Budi": budi}
    [winner] = [
        n for n, a in answers.items() if isinstance(a, DecisionOutcome) and a.refusal is None
    ]
    loser = answers["Budi" if winner == "Sari" else "Sari"]
    if isinstance(loser, DecisionOutcome):
        assert (loser.result, loser.refusal, loser.decided_by) == (
            "refused",
            "already_decided",
            winner,
        )
    else:
        assert (loser.type, loser.details) == ("already_decided", (winner,))
    state = await handle.result()
    assert state.decision is not None and state.decision.by == winner


async def test_order_paid_meanwhile_is_refused_and_the_payment_waits_on(
    env: WorkflowEnvironment, settings: Settings, sessions: Sessions
) -> None:
    taken, free = await new_order(sessions), await new_order(sessions, 99000)
    handle = await flagged(env, settings, amount=5)  # no_match
    # Another transfer pays the order finance has in mind.
    other = parse_mutation(mutation(amount=int(taken.amount)))
    async with sessions.begin() as session:
        await session.run_sync(payments.record_payment, other, datetime.now(UTC))
        assert (
            await session.run_sync(
                payments.mark_paid, other.mutation_id, taken.ref, datetime.now(UTC)
            )
        ).paid

    outcome = await decide(handle, "approve", {"by": "Sari", "order_ref": taken.ref})
    assert (outcome.result, outcome.refusal, outcome.status) == (
        "refused",
        "order_already_paid",
        "awaiting_approval",
    )
    assert other.mutation_id in outcome.detail
    assert (await handle.query(PaymentWorkflow.status)).status == "awaiting_approval"

    outcome = await decide(
        handle, "approve", {"by": "Sari", "order_ref": free.ref, "difference": "accept"}
    )
    assert (outcome.result, outcome.order_ref) == ("booked", free.ref)
    assert (await handle.result()).status == "paid"


async def test_second_decision_is_refused(env: WorkflowEnvironment, settings: Settings) -> None:
    handle = await flagged(env, settings, amount=777)
    await handle.signal(PaymentWorkflow.reject, {"by": "Sari", "reason": "refund by hand"})
    await handle.signal(PaymentWorkflow.approve, {"by": "Budi", "order_ref": "MF-AAAA-BBBB"})
    state = await handle.result()
    assert state.status == "rejected"
    assert state.decision is not None and state.decision.by == "Sari"
    # Refused when it arrives, or when its turn comes (the reject still being booked).
    [refused] = state.refused_signals
    assert refused.startswith("approve") and "ignored: payment" in refused
    assert refused.endswith("was already rejected by Sari")


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ("yes please", "approve needs a JSON object, got str"),
        ({"note": "ok"}, "'by' is required"),
        ({"by": 42}, "'by' must be a string"),
        ({"by": "Sari", "order_ref": ["x"]}, "'order_ref' must be a string"),
    ],
)
async def test_invalid_hand_typed_signal_is_ignored_without_failing(
    env: WorkflowEnvironment, settings: Settings, payload: object, complaint: str
) -> None:
    handle = await flagged(env, settings, amount=777)
    await handle.signal("approve", payload)
    await handle.signal("reject", {"by": "Sari", "reason": "test"})
    state = await handle.result()
    assert state.status == "rejected"
    assert state.refused_signals == [f"approve ignored: {complaint}"]


async def test_approving_an_unknown_order_is_reported_and_waits_on(
    env: WorkflowEnvironment, settings: Settings
) -> None:
    handle = await flagged(env, settings, amount=777)
    outcome = await decide(handle, "approve", {"by": "Sari", "order_ref": "MF-NONE-NONE"})
    assert (outcome.result, outcome.refusal) == ("refused", "unknown_order")
    assert "order MF-NONE-NONE does not exist" in outcome.detail
    await handle.signal(PaymentWorkflow.reject, {"by": "Sari", "reason": "typo, rejecting"})
    state = await handle.result()
    assert state.status == "rejected"
