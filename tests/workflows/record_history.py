"""Record a workflow history for every branch, for the replay test (and CI).

Run: python -m tests.workflows.record_history [NAME ...]

Histories are what running workflows are made of: once recorded, a file stands
for runs in production and must keep replaying. Never re-record an existing file
to make a change pass; add new files for new branches (and guard the change with
workflow.patched). `payment_paid.json` and `payment_flagged.json` were recorded
before patch decisions-v2 and stand for the runs that started then; the `v2_*`
files were recorded before patch moota-write-back, the `v3_*` files after it, the
`alloc_*` files after patch allocations, the `local_*` files after patch local-first.
"""

import asyncio
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from mootaflow.domain.decisions import DecisionOutcome, Kind
from mootaflow.domain.moota import parse_mutation
from mootaflow.domain.orders import NewOrder
from mootaflow.domain.settings import Settings
from mootaflow.services.decisions import submit_decision
from mootaflow.store.databases import create_engines, upgrade_schemas
from mootaflow.store.db import Sessions
from mootaflow.store.one_call import OneCall
from mootaflow.store.orders import CodeRange, create_order
from mootaflow.temporal.client import DATA_CONVERTER
from mootaflow.temporal.devserver import temporal_binary
from mootaflow.temporal.worker import build_worker
from mootaflow.workflows import search_attributes as sa
from mootaflow.workflows.payment import PaymentWorkflow
from mootaflow.workflows.payment_types import ApprovalPolicy, PaymentInput, PaymentState
from mootaflow.workflows.retention import RetentionInput, RetentionWorkflow
from tests.support.moota import mutation
from tests.support.pause import PauseAfter

HISTORIES = Path(__file__).parent / "histories"
# Seconds instead of days, so the reminder and "unresolved" branches record quickly.
QUICK = ApprovalPolicy(remind_every=timedelta(seconds=1), give_up_after=timedelta(seconds=2.5))


@dataclass
class Recorder:
    client: Client
    settings: Settings
    sessions: Sessions
    reads: OneCall
    # Holds one chosen workflow after its match, to stage a booking race.
    pause: PauseAfter

    async def order(self, amount: int) -> str:
        async with self.sessions.begin() as session:
            order, _ = await create_order(
                session,
                NewOrder(account_number="1234567890", amount=amount, customer_email="a@b.id"),
                codes=CodeRange(1, 999),
                default_expiry=timedelta(hours=1),
                now=datetime.now(UTC) - timedelta(minutes=10),
            )
        return order.ref

    async def amount_of(self, ref: str) -> int:
        from mootaflow.store.orders import get_order

        async with self.sessions.begin() as session:
            order = await session.run_sync(get_order, ref)
        assert order is not None
        return int(order.amount)

    async def start(
        self,
        item: dict[str, Any],
        policy: ApprovalPolicy | None = None,
        write_back: bool = True,
        merchant_callback: bool = True,
    ) -> WorkflowHandle[PaymentWorkflow, PaymentState]:
        parsed = parse_mutation(item)
        return await self.client.start_workflow(
            PaymentWorkflow.run,
            PaymentInput(parsed, policy or ApprovalPolicy(), write_back, merchant_callback),
            id=parsed.workflow_id,
            task_queue=self.settings.task_queue,
            search_attributes=sa.at_start(parsed),
        )

    async def waiting(self, handle: WorkflowHandle[PaymentWorkflow, PaymentState]) -> None:
        while "finance" not in (await handle.query(PaymentWorkflow.status)).notifications:
            await asyncio.sleep(0.1)

    async def decide(self, kind: Kind, mutation_id: str, text: str) -> None:
        """As the API decides: database checks, then an Update (with start if ended)."""
        await submit_decision(
            self.reads,
            self.client,
            self.settings,
            kind,
            mutation_id,
            "Sari",
            text=text,
            difference="accept" if kind == "approve" else None,
        )


async def paid(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    ref = await r.order(150000)
    return [await r.start(mutation(amount=await r.amount_of(ref)))]


async def paid_without_write_back(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    """Started with the write-back off (no Moota token): the run does not ask for it."""
    ref = await r.order(155000)
    return [await r.start(mutation(amount=await r.amount_of(ref)), write_back=False)]


async def flagged_approved_by_update(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    ref = await r.order(160000)
    handle = await r.start(mutation(amount=await r.amount_of(ref) - 100, note=ref))
    await r.waiting(handle)
    # Refused by the validator (nothing in history), then applied.
    await _refused(handle.execute_update("approve", {"note": "no approver"}))
    # (Since patch allocations a short transfer needs its difference; the v2 and v3
    # files were recorded before that.)
    await handle.execute_update(
        "approve", {"by": "Sari", "difference": "accept"}, result_type=DecisionOutcome
    )
    return [handle]


async def quiet_paid(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    """Started without the write-back and without a merchant callback (as `mootaflow
    dev` runs): the run asks the worker for neither."""
    ref = await r.order(162000)
    item = mutation(amount=await r.amount_of(ref))
    return [await r.start(item, write_back=False, merchant_callback=False)]


async def quiet_flagged_approved(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    ref = await r.order(164000)
    item = mutation(amount=await r.amount_of(ref) - 100, note=ref)
    handle = await r.start(item, write_back=False, merchant_callback=False)
    await r.waiting(handle)
    await handle.execute_update(
        "approve", {"by": "Sari", "difference": "accept"}, result_type=DecisionOutcome
    )
    return [handle]


async def flagged_rejected_by_signal(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    handle = await r.start(mutation(amount=99))
    await r.waiting(handle)
    await handle.signal("approve", {"note": "no approver: refused"})
    await handle.signal("reject", {"by": "Sari", "reason": "test transfer"})
    await handle.signal("approve", {"by": "Budi", "order_ref": "MF-AAAA-BBBB"})  # too late
    return [handle]


async def unresolved_then_decided(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    """Reminders, then unresolved (the run ends); then a decision starts a run that
    resumes the payment and books it."""
    ref = await r.order(170000)
    item = mutation(amount=await r.amount_of(ref) + 5, note=ref)
    started = await r.start(item, QUICK)
    first = r.client.get_workflow_handle(
        started.id, run_id=started.result_run_id, result_type=PaymentState
    )
    assert (await first.result()).status == "unresolved"
    await r.decide("approve", item["mutation_id"], text="late, but fine")
    latest = await r.client.get_workflow_handle(started.id).describe()
    assert latest.run_id != started.result_run_id
    return [first, r.client.get_workflow_handle(started.id, run_id=latest.run_id)]


async def already_paid_reflag(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    """Two transfers for one order, both matched: the second loses the booking race and
    is flagged already_paid."""
    ref = await r.order(180000)
    amount = await r.amount_of(ref)
    loser_item = mutation(amount=amount)
    r.pause.workflow_id = f"moota-mutation-{loser_item['mutation_id']}"
    loser = await r.start(loser_item)
    await asyncio.wait_for(r.pause.reached.wait(), 30)  # matched, not yet booked
    winner = await r.start(mutation(amount=amount))
    await winner.result()
    r.pause.released.set()
    await reject_double_payment(r, loser)
    return [loser]


async def paid_twice(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    """A second transfer for an order already paid: flagged already_paid, rejected."""
    ref = await r.order(185000)
    amount = await r.amount_of(ref)
    await (await r.start(mutation(amount=amount))).result()
    second = await r.start(mutation(amount=amount))
    await reject_double_payment(r, second)
    return [second]


async def reject_double_payment(
    r: Recorder, handle: WorkflowHandle[PaymentWorkflow, PaymentState]
) -> None:
    """Once `handle` waits for finance as already_paid, finance rejects it."""
    await r.waiting(handle)
    assert (await handle.query(PaymentWorkflow.status)).flag_reason == "already_paid"
    await handle.execute_update(
        "reject", {"by": "Sari", "reason": "double payment, refund"}, result_type=DecisionOutcome
    )


async def ignored_debit(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    """Money going out of the account: not a payment."""
    return [await r.start(mutation(amount=50000, type="DB"))]


async def decision_held_before_the_wait(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    """Decided before the workflow matched the payment (the signal is in its first task)."""
    ref = await r.order(190000)
    parsed = parse_mutation(mutation(amount=await r.amount_of(ref) - 1, note=ref))
    handle = await r.client.start_workflow(
        PaymentWorkflow.run,
        PaymentInput(parsed),
        id=parsed.workflow_id,
        task_queue=r.settings.task_queue,
        search_attributes=sa.at_start(parsed),
        start_signal="approve",
        start_signal_args=[{"by": "Sari", "note": "early", "difference": "accept"}],
    )
    return [handle]


async def resent_finished(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    """A later run for a payment already rejected: recorded, not matched again."""
    item = mutation(amount=98)
    first = await r.start(item)
    await r.waiting(first)
    await first.execute_update("reject", {"by": "Sari", "reason": "x"}, result_type=DecisionOutcome)
    await first.result()
    return [await r.start(item)]


async def approve_with(
    r: Recorder, amount_change: int, payload: dict[str, Any]
) -> list[WorkflowHandle[Any, Any]]:
    ref = await r.order(200000)
    handle = await r.start(mutation(amount=await r.amount_of(ref) + amount_change, note=ref))
    await r.waiting(handle)
    await handle.execute_update("approve", {"by": "Sari", **payload}, result_type=DecisionOutcome)
    return [handle]


async def accept_shortfall(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    return await approve_with(r, -5000, {"difference": "accept", "note": "loyal customer"})


async def refund_surplus(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    return await approve_with(r, 5000, {"difference": "refund"})


async def partial_then_completed(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    """Half now (finance: partial), the rest later by the customer's own transfer."""
    ref = await r.order(210000)
    total = await r.amount_of(ref)
    first = await r.start(mutation(amount=100000, note=ref))
    await r.waiting(first)
    # Refused by the validator: the allocation is more than the transfer.
    too_much = [{"order_ref": ref, "amount": "100001"}]
    await _refused(first.execute_update("approve", {"by": "Sari", "allocations": too_much}))
    await first.execute_update(
        "approve", {"by": "Sari", "difference": "partial"}, result_type=DecisionOutcome
    )
    await first.result()
    return [first, await r.start(mutation(amount=total - 100000, note=ref))]


async def three_orders(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    refs = [await r.order(amount) for amount in (220000, 230000, 240000)]
    total = sum([await r.amount_of(ref) for ref in refs])
    handle = await r.start(mutation(amount=total + 700))
    await r.waiting(handle)
    lines = [{"order_ref": ref} for ref in refs]
    await handle.execute_update(
        "approve",
        {"by": "Sari", "allocations": lines, "difference": "accept"},
        result_type=DecisionOutcome,
    )
    return [handle]


async def decided_while_finance_is_told(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    """Decided while the first notice to finance is still being sent: the notice is
    called off with the reminders (patch reminders-called-off)."""
    ref = await r.order(250000)
    item = mutation(amount=await r.amount_of(ref) - 100, note=ref)
    r.pause.activity_name = "notify_finance"
    r.pause.workflow_id = f"moota-mutation-{item['mutation_id']}"
    r.pause.reached, r.pause.released = asyncio.Event(), asyncio.Event()
    handle = await r.start(item)
    await asyncio.wait_for(r.pause.reached.wait(), 30)
    await handle.execute_update(
        "approve", {"by": "Sari", "difference": "accept"}, result_type=DecisionOutcome
    )
    r.pause.released.set()
    return [handle]


async def retention(r: Recorder) -> list[WorkflowHandle[Any, Any]]:
    handle = await r.client.start_workflow(
        RetentionWorkflow.run,
        RetentionInput(30),
        id=f"retention-{uuid.uuid4().hex}",
        task_queue=r.settings.task_queue,
    )
    return [handle]


CASES: dict[str, Callable[[Recorder], Awaitable[list[WorkflowHandle[Any, Any]]]]] = {
    "v2_paid": paid,
    "v2_flagged_approved_by_update": flagged_approved_by_update,
    "v2_flagged_rejected_by_signal": flagged_rejected_by_signal,
    "v2_unresolved_then_decided": unresolved_then_decided,
    "v2_already_paid_reflag": already_paid_reflag,
    "v2_decision_held_before_the_wait": decision_held_before_the_wait,
    "v2_resent_finished": resent_finished,
    "v2_retention": retention,
    # Patch moota-write-back: the outcome written back to Moota beside the rest.
    "v3_paid": paid,
    "v3_flagged_approved_by_update": flagged_approved_by_update,
    "v3_flagged_rejected_by_signal": flagged_rejected_by_signal,
    # Patch allocations: an approval allocates the transfer, the difference as chosen.
    "alloc_accept_shortfall": accept_shortfall,
    "alloc_refund_surplus": refund_surplus,
    "alloc_partial_then_completed": partial_then_completed,
    "alloc_three_orders": three_orders,
    # Patch local-first: first attempts in the worker (local activities), every branch.
    "local_paid": paid,
    "local_paid_without_write_back": paid_without_write_back,
    "local_flagged_approved_by_update": flagged_approved_by_update,
    "local_flagged_rejected_by_signal": flagged_rejected_by_signal,
    "local_unresolved_then_decided": unresolved_then_decided,
    "local_already_paid_reflag": already_paid_reflag,
    "local_decision_held_before_the_wait": decision_held_before_the_wait,
    "local_resent_finished": resent_finished,
    "local_accept_shortfall": accept_shortfall,
    "local_partial_then_completed": partial_then_completed,
    "local_three_orders": three_orders,
    # Patch reminders-called-off.
    "local_reminders_called_off": decided_while_finance_is_told,
    # Patch settle-at-once: opened, matched and booked in one step; one upsert per
    # change of status. (The booking race of already_paid_reflag cannot be staged in
    # one SQLite transaction; a transfer for a paid order is flagged by matching.)
    "settle_paid": paid,
    "settle_paid_without_write_back": paid_without_write_back,
    "settle_paid_twice": paid_twice,
    "settle_ignored_debit": ignored_debit,
    "settle_flagged_approved_by_update": flagged_approved_by_update,
    "settle_flagged_rejected_by_signal": flagged_rejected_by_signal,
    "settle_unresolved_then_decided": unresolved_then_decided,
    "settle_decision_held_before_the_wait": decision_held_before_the_wait,
    "settle_resent_finished": resent_finished,
    "settle_accept_shortfall": accept_shortfall,
    "settle_partial_then_completed": partial_then_completed,
    "settle_three_orders": three_orders,
    "settle_reminders_called_off": decided_while_finance_is_told,
    # settle_payment issues the invoice of the order it paid (no patch: the step's
    # result says whether it did, and older results, without one, take the old path).
    "settle_invoiced_paid": paid,
    "settle_invoiced_partial_then_completed": partial_then_completed,
    # allocate records the decision and issues the invoice in its own transaction (no
    # patch either: its result says so, and older results take the steps themselves).
    "settle_booked_flagged_approved_by_update": flagged_approved_by_update,
    "settle_booked_accept_shortfall": accept_shortfall,
    "settle_booked_three_orders": three_orders,
    "settle_booked_partial_then_completed": partial_then_completed,
    # Patch quiet-merchant: a run started without a merchant callback does not ask
    # for one.
    "settle_quiet_paid": quiet_paid,
    "settle_quiet_flagged_approved": quiet_flagged_approved,
    # Patch baseline-2026-11: one marker for all of the above; a decision received by
    # Update is applied in the task that accepts it.
    "base_paid": paid,
    "base_paid_without_write_back": paid_without_write_back,
    "base_paid_twice": paid_twice,
    "base_ignored_debit": ignored_debit,
    "base_flagged_approved_by_update": flagged_approved_by_update,
    "base_flagged_rejected_by_signal": flagged_rejected_by_signal,
    "base_unresolved_then_decided": unresolved_then_decided,
    "base_decision_held_before_the_wait": decision_held_before_the_wait,
    "base_resent_finished": resent_finished,
    "base_accept_shortfall": accept_shortfall,
    "base_partial_then_completed": partial_then_completed,
    "base_three_orders": three_orders,
    "base_reminders_called_off": decided_while_finance_is_told,
    "base_quiet_paid": quiet_paid,
    "base_quiet_flagged_approved": quiet_flagged_approved,
}


async def _refused(update: Awaitable[Any]) -> None:
    from temporalio.client import WorkflowUpdateFailedError

    try:
        await update
    except WorkflowUpdateFailedError:
        return
    raise AssertionError("the update was expected to be refused")


async def main(names: list[str]) -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=list(sa.ALL),
        data_converter=DATA_CONVERTER,
    )
    try:
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(
                _env_file=None,
                database_url=f"sqlite+aiosqlite:///{folder}/app.db",
                task_queue=f"record-{uuid.uuid4().hex}",
                outbox_dir=Path(folder) / "outbox",
            )
            databases = create_engines(settings)
            await upgrade_schemas(databases)
            pause = PauseAfter("match_order", workflow_id="none yet")
            recorder = Recorder(env.client, settings, databases.sessions, databases.calls, pause)
            async with (
                httpx.AsyncClient() as http,
                build_worker(env.client, settings, databases, http, [pause]),
            ):
                for name, case in CASES.items():
                    if names and name not in names:
                        continue
                    handles = await case(recorder)
                    for n, handle in enumerate(handles):
                        # A case that leaves its run waiting fails instead of hanging.
                        await asyncio.wait_for(handle.result(), 120)
                        suffix = f"_run{n + 1}" if len(handles) > 1 else ""
                        history = await handle.fetch_history()
                        (HISTORIES / f"{name}{suffix}.json").write_text(history.to_json())
                        print(f"wrote {name}{suffix}")
            for engine in databases.engines:
                await engine.dispose()
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
