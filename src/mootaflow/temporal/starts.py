"""Starting a PaymentWorkflow: one way, whichever path found the mutation, so a
mutation seen twice is one workflow id, `moota-mutation-<mutation_id>`, and never
a second run."""

from datetime import timedelta
from typing import Literal

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from mootaflow.domain.money import format_rupiah
from mootaflow.domain.moota import Mutation
from mootaflow.domain.reconcile import WEBHOOK
from mootaflow.domain.settings import Settings
from mootaflow.workflows import search_attributes
from mootaflow.workflows.payment import PaymentWorkflow
from mootaflow.workflows.payment_types import ApprovalPolicy, PaymentInput

StartResult = Literal["started", "already_started"]


def approval_policy(settings: Settings) -> ApprovalPolicy:
    """Fixed per run when it starts: workflows cannot read settings deterministically."""
    return ApprovalPolicy(
        remind_every=timedelta(hours=settings.approval_reminder_hours),
        give_up_after=timedelta(hours=settings.approval_timeout_hours),
    )


def payment_input(mutation: Mutation, settings: Settings) -> PaymentInput:
    """A run's input: the mutation, and the settings it keeps for its whole life."""
    return PaymentInput(
        mutation,
        approval_policy(settings),
        settings.write_back_enabled,
        settings.merchant_callback_enabled,
    )


def summary(mutation: Mutation) -> str:
    """The Web UI's one-line summary of a payment workflow."""
    return f"{format_rupiah(mutation.amount)} {mutation.type} to account {mutation.account_number}"


async def start_payment(
    client: Client, mutation: Mutation, settings: Settings, source: str = WEBHOOK
) -> StartResult:
    """Start the mutation's workflow unless it exists; raises what Temporal raised.

    `source` (webhook or reconcile: whichever path found the mutation first) is a
    search attribute, so operators can find what reconciliation caught."""
    try:
        await client.start_workflow(
            PaymentWorkflow.run,
            payment_input(mutation, settings),
            id=mutation.workflow_id,
            task_queue=settings.task_queue,
            # A start repeated for any reason must never make a second run:
            # a running one is reused, a closed one is rejected (and that is fine).
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=search_attributes.at_start(mutation, source),
            static_summary=summary(mutation),
        )
    except WorkflowAlreadyStartedError:
        return "already_started"
    return "started"
