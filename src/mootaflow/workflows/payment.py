"""PaymentWorkflow: one run per Moota mutation, id moota-mutation-<mutation_id>."""

from dataclasses import dataclass

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from mootaflow.activities.payment import PaymentActivities
    from mootaflow.domain.moota import Mutation
    from mootaflow.workflows import retries
    from mootaflow.workflows import search_attributes as sa


@dataclass(frozen=True)
class PaymentInput:
    mutation: Mutation


@dataclass(frozen=True)
class PaymentState:
    mutation_id: str
    status: str


@workflow.defn
class PaymentWorkflow:
    def __init__(self) -> None:
        self._mutation_id = ""
        self._status = "received"

    @workflow.run
    async def run(self, payment: PaymentInput) -> PaymentState:
        self._mutation_id = payment.mutation.mutation_id
        await workflow.execute_activity_method(
            PaymentActivities.record_mutation,
            payment.mutation,
            start_to_close_timeout=retries.DATABASE_TIMEOUT,
            retry_policy=retries.DATABASE,
        )
        self._set_status("received")
        return self.status()

    @workflow.query
    def status(self) -> PaymentState:
        return PaymentState(mutation_id=self._mutation_id, status=self._status)

    def _set_status(self, status: str) -> None:
        self._status = status
        workflow.upsert_search_attributes([sa.PAYMENT_STATUS.value_set(status)])
