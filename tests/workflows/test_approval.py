"""Flagged payments wait for finance, on the time-skipping test server: hours pass in ms."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from mootaflow.cli.worker import build_worker
from mootaflow.domain.moota import parse_mutation
from mootaflow.domain.orders import NewOrder
from mootaflow.domain.settings import Settings
from mootaflow.store import orders, payments
from mootaflow.store.db import Sessions
from mootaflow.store.tables import Order
from mootaflow.workflows.payment import PaymentWorkflow
from mootaflow.workflows.payment_types import PaymentState
from tests.support.moota import mutation
from tests.support.smtp import SmtpServer
from tests.support.temporal import start_payment
from tests.workflows.conftest import FINANCE_EMAIL

Handle = WorkflowHandle[PaymentWorkflow, PaymentState]


@pytest.fixture
async def env(
    time_env: WorkflowEnvironment, settings: Settings, sessions: Sessions
) -> AsyncIterator[WorkflowEnvironment]:
    async with httpx.AsyncClient() as http, build_worker(time_env.client, settings, sessions, http):
        yield time_env


async def new_order(sessions: Sessions, amount: int = 150000) -> Order:
    async with sessions() as session:
        order, _ = await orders.create_order(
            session,
            NewOrder(account_number="1234567890", amount=Decimal(amount), customer_email="c@x.id"),
            codes=orders.CodeRange(1, 999),
            default_expiry=timedelta(hours=24),
            now=datetime.now(UTC) - timedelta(minutes=1),
        )
    return order


async def flagged(env: WorkflowEnvironment, settings: Settings, **fields: object) -> Handle:
    """Start a payment and return once it waits for finance."""
    parsed = parse_mutation(mutation(**fields))
    handle = await start_payment(env.client, settings.task_queue, parsed)
    while "finance" not in (state := await handle.query(PaymentWorkflow.status)).notifications:
        assert state.status in ("received", "awaiting_approval"), state
        await env.sleep(timedelta(seconds=0))
    assert state.status == "awaiting_approval"
    return handle


async def test_approve_books_the_flagged_order(
    env: WorkflowEnvironment, settings: Settings, sessions: Sessions, smtp: SmtpServer
) -> None:
    order = await new_order(sessions)
    handle = await flagged(env, settings, amount=int(order.amount) - 100, note=order.ref)
    assert (await handle.query(PaymentWorkflow.status)).flag_reason == "underpaid"
    [notice] = smtp.sink.to(FINANCE_EMAIL)
    assert "underpaid" in str(notice["Subject"])

    await handle.signal(PaymentWorkflow.approve, {"by": "Sari", "note": "customer short by 100"})
    state = await handle.result()
    assert (state.status, state.order_ref) == ("paid", order.ref)
    assert state.decision is not None and state.decision.by == "Sari"
    assert state.invoice_number is not None
    assert len(smtp.sink.to("c@x.id")) == 1
    async with sessions() as session:
        record = await payments.get_decision(session, state.mutation_id)
    assert record is not None
    assert (record.kind, record.decided_by, record.note, record.flag_reason) == (
        "approve",
        "Sari",
        "customer short by 100",
        "underpaid",
    )


async def test_reject_books_nothing(
    env: WorkflowEnvironment, settings: Settings, sessions: Sessions
) -> None:
    handle = await flagged(env, settings, amount=777)
    await handle.signal(PaymentWorkflow.reject, {"by": "Sari", "reason": "personal transfer"})
    state = await handle.result()
    assert state.status == "rejected"
    async with sessions() as session:
        payment = await payments.get_payment(session, state.mutation_id)
        record = await payments.get_decision(session, state.mutation_id)
    assert payment is not None and payment.status == "rejected"
    assert record is not None and (record.kind, record.note) == ("reject", "personal transfer")


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
    await handle.signal(PaymentWorkflow.approve, {"by": "Sari", "order_ref": second.ref})
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
    async with sessions() as session:
        payment = await payments.get_payment(session, state.mutation_id)
    assert payment is not None and payment.status == "unresolved"
    # A decision after the end is refused, not applied.
    description = await handle.describe()
    assert description.status is not None and description.status.name == "COMPLETED"


async def test_second_decision_is_refused(env: WorkflowEnvironment, settings: Settings) -> None:
    handle = await flagged(env, settings, amount=777)
    await handle.signal(PaymentWorkflow.reject, {"by": "Sari", "reason": "refund by hand"})
    await handle.signal(PaymentWorkflow.approve, {"by": "Budi", "order_ref": "MF-AAAA-BBBB"})
    state = await handle.result()
    assert state.status == "rejected"
    assert state.decision is not None and state.decision.by == "Sari"
    assert state.refused_signals == ["approve by Budi ignored: already decided"]


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


async def test_approving_an_unknown_or_paid_order_is_reported_and_waits_on(
    env: WorkflowEnvironment, settings: Settings, sessions: Sessions
) -> None:
    handle = await flagged(env, settings, amount=777)
    await handle.signal(PaymentWorkflow.approve, {"by": "Sari", "order_ref": "MF-NONE-NONE"})
    await handle.signal(PaymentWorkflow.reject, {"by": "Sari", "reason": "typo, rejecting"})
    state = await handle.result()
    assert state.status == "rejected"
    assert len(state.refused_signals) == 1
    assert "order MF-NONE-NONE does not exist" in state.refused_signals[0]
