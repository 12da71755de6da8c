"""Payments in a given state for write-back tests, made by the real payment activities
(no workflow), on mutations the fake Moota knows."""

from decimal import Decimal
from typing import Literal

from temporalio.testing import ActivityEnvironment

from mootaflow.activities.contracts import BookInput, DecisionInput, StatusInput
from mootaflow.activities.payment import PaymentActivities
from mootaflow.domain.moota import Mutation, parse_mutation
from mootaflow.domain.orders import NewOrder
from mootaflow.domain.settings import Settings
from mootaflow.services.orders import place_order
from mootaflow.store.databases import Databases
from tests.support.fakemoota import RunningFakeMoota

BANK = "bcaBank0001"
ACCOUNT = "1234567890"


class Payments:
    def __init__(self, databases: Databases, settings: Settings, fake: RunningFakeMoota) -> None:
        self._sessions, self._settings, self._fake = databases.sessions, settings, fake
        # No inbox rows here: the main database stands in for the receiving one.
        self._activities = PaymentActivities(databases.calls, settings, databases.sessions)
        self._env = ActivityEnvironment()
        if BANK not in fake.fake.ledger.banks:
            fake.fake.add_bank(bank_id=BANK, account_number=ACCOUNT)

    async def order(self, email: str = "budi@toko.test") -> dict[str, object]:
        new = NewOrder(account_number=ACCOUNT, amount=Decimal(150000), customer_email=email)
        order, _ = await place_order(self._sessions, self._settings, new)
        return order

    async def received(self, amount: object, mutation_type: Literal["CR", "DB"] = "CR") -> Mutation:
        """A transfer Moota has, recorded and matched."""
        item = self._fake.fake.add_mutation(BANK, str(amount), mutation_type=mutation_type)
        mutation = parse_mutation(item)
        await self._env.run(self._activities.record_mutation, mutation)
        await self._env.run(self._activities.match_order, mutation)
        return mutation

    async def paid(self) -> tuple[Mutation, str, str]:
        """A booked payment with its invoice: (mutation, order ref, invoice number)."""
        order = await self.order()
        mutation = await self.received(order["amount"])
        return mutation, *await self.book(mutation, str(order["ref"]))

    async def book(self, mutation: Mutation, order_ref: str) -> tuple[str, str]:
        await self._env.run(self._activities.mark_paid, BookInput(mutation.mutation_id, order_ref))
        invoice = await self._env.run(self._activities.generate_invoice, mutation.mutation_id)
        return order_ref, invoice.number

    async def reject(self, mutation: Mutation) -> None:
        decision = DecisionInput(mutation.mutation_id, "reject", "Sari", None, "refund", "no_match")
        await self._env.run(self._activities.record_decision, decision)
        status = StatusInput(mutation.mutation_id, "rejected")
        await self._env.run(self._activities.set_payment_status, status)
