"""PaymentWorkflow as it ran before patch DECISIONS_V2, kept for the runs started then.

Such runs replay this code path exactly (same activities, timers and search
attribute upserts in the same order) and then continue on it, so their history
stays valid. The only behaviour added is behind its own patch
(HELD_DECISION_AT_DEADLINE). Delete this module, and the branches that call it,
when DECISIONS_V2 is retired (see workflows/patches.py).
"""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import mootaflow.workflows.patches as patches
    import mootaflow.workflows.retries as retries
    from mootaflow.activities import contracts as steps
    from mootaflow.activities.contracts import StatusInput
    from mootaflow.domain.moota import Mutation
    from mootaflow.domain.payments import PaymentStatus

from mootaflow.workflows.payment_steps import PaymentSteps


class LegacyFlow(PaymentSteps):
    async def _open_v1(self, mutation: Mutation) -> None:
        await self._step(steps.RECORD_MUTATION, mutation, retries.DATABASE)
        self._set_status(PaymentStatus.RECEIVED)

    async def _await_decision_v1(self) -> None:
        """Notice first, then wait with reminders in the loop; unresolved ends the run."""
        policy = self._policy
        await self._notify_finance(reminder=0)
        deadline = workflow.now() + policy.give_up_after
        while True:
            remaining = deadline - workflow.now()
            if remaining <= timedelta():
                # A reminder that retried past the deadline used to drop a decision
                # received meanwhile; now it is applied (patched: old runs that did
                # drop one replay as they ran).
                while self._pending and workflow.patched(patches.HELD_DECISION_AT_DEADLINE):
                    if await self._apply(self._pending.pop(0)):
                        return
                break
            try:
                await workflow.wait_condition(
                    lambda: bool(self._pending), timeout=min(policy.remind_every, remaining)
                )
            except TimeoutError:
                if workflow.now() < deadline:
                    self._state.reminders += 1
                    await self._notify_finance(reminder=self._state.reminders)
                continue
            if await self._apply(self._pending.pop(0)):
                return
        # Nobody decided in time: say so loudly instead of waiting forever.
        await self._step(
            steps.SET_PAYMENT_STATUS,
            StatusInput(self._state.mutation_id, PaymentStatus.UNRESOLVED),
            retries.DATABASE,
        )
        self._set_status(PaymentStatus.UNRESOLVED)
