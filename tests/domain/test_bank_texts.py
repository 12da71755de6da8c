"""Matching on descriptions as BCA, Mandiri, BRI and BNI write them (pure rules)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from mootaflow.domain.matching import MatchRules, OrderFacts, match_mutation, referenced_keys
from mootaflow.domain.moota import Mutation
from mootaflow.domain.orders import ref_key
from mootaflow.domain.settings import DEFAULT_ORDER_REF_PATTERN
from tests.support.bank_texts import BANK_TEXTS, BankText

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
RULES = MatchRules(DEFAULT_ORDER_REF_PATTERN, Decimal(100_000_000))
ACCOUNT = "0061234567"


def facts(ref: str, account: str, amount: int) -> OrderFacts:
    return OrderFacts(
        ref=ref,
        ref_key=ref_key(ref),
        account_number=account,
        bank_id=None,
        amount=Decimal(amount),
        created_at=NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(hours=23),
        paid_by=None,
    )


# Holds a 0 and a 1, so the {typed} variant (O and I typed for them) is tested.
ORDER = facts("MF-7K30-1QXZ", ACCOUNT, 150123)
OTHER = facts("MF-8W2N-4RTB", "7770001112", 99001)
DATABASE = [ORDER, OTHER]


def test_the_table_covers_four_banks_with_twenty_formats_or_more() -> None:
    assert len(BANK_TEXTS) >= 20
    assert {text.bank for text in BANK_TEXTS} == {"bca", "mandiri", "bri", "bni"}


@pytest.mark.parametrize("text", BANK_TEXTS, ids=lambda t: f"{t.bank}:{t.template[:30]}")
def test_bank_description_gives_the_expected_outcome(text: BankText) -> None:
    amount = int(ORDER.amount) + text.delta
    mutation = Mutation(
        mutation_id="m1",
        account_number=ACCOUNT,
        bank_id=None,
        type="CR",
        amount=Decimal(amount),
        date=NOW,
        description=text.render(ORDER.ref, amount, OTHER.ref),
        note="",
    )
    # What the activity reads from the database: orders by key, orders by amount.
    keys = referenced_keys(mutation, RULES)
    referenced = [o for o in DATABASE if o.ref_key in keys]
    same_amount = [
        o for o in DATABASE if (o.account_number, o.amount) == (ACCOUNT, Decimal(amount))
    ]
    outcome = match_mutation(mutation, referenced, same_amount, RULES)
    if text.expected == "matched":
        assert (outcome.kind, outcome.order_ref) == ("matched", ORDER.ref), mutation.description
    else:
        assert (outcome.kind, outcome.reason) == ("flagged", text.expected), mutation.description
