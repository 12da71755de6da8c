"""The bank-description table through the whole system: one Moota delivery of every
format, each paying (or flagged against) its own order."""

from temporalio.client import Client
from temporalio.worker import Worker

from tests.support.bank_texts import BANK_TEXTS
from tests.support.flows import create_order, pay
from tests.support.moota import BCA_ACCOUNT, moota_item
from tests.support.servers import RunningReceiver


async def test_every_bank_format_in_one_delivery(
    receiver: RunningReceiver, client: Client, worker: Worker
) -> None:
    other = await create_order(receiver, account_number="7770001112", amount=99000)
    items, expected = [], []
    for index, text in enumerate(BANK_TEXTS):
        # Bases 10.000 apart: no order's amount is within reach of another's.
        order = await create_order(
            receiver, account_number=BCA_ACCOUNT, amount=100000 + index * 10000
        )
        amount = order["amount"] + text.delta
        description = text.render(order["ref"], amount, other["ref"])
        items.append(moota_item(amount=amount, bank_type=text.bank, description=description))
        expected.append((text, order["ref"]))
    states = await pay(receiver, client, *items)
    for state, (text, ref), item in zip(states, expected, items, strict=True):
        if text.expected == "matched":
            assert (state.status, state.order_ref) == ("paid", ref), item["description"]
        else:
            assert (state.status, state.flag_reason) == ("awaiting_approval", text.expected), item[
                "description"
            ]
