from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from mootaflow.domain.matching import (
    CLOCK_SKEW,
    FlagReason,
    MatchOutcome,
    MatchRules,
    OrderFacts,
    match_mutation,
    referenced_keys,
)
from mootaflow.domain.moota import Mutation
from mootaflow.domain.orders import ref_key
from mootaflow.domain.settings import DEFAULT_ORDER_REF_PATTERN

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
RULES = MatchRules(DEFAULT_ORDER_REF_PATTERN, high_value_threshold=Decimal(50_000_000))


def order(ref: str = "MF-AAAA-0001", amount: int = 150123, **changes: object) -> OrderFacts:
    values: dict[str, object] = {
        "ref": ref,
        "ref_key": ref_key(ref),
        "account_number": "123",
        "bank_id": None,
        "amount": Decimal(amount),
        "created_at": NOW - timedelta(hours=1),
        "expires_at": NOW + timedelta(hours=23),
        "paid_by": None,
    }
    values.update(changes)
    return OrderFacts(**values)  # type: ignore[arg-type]


def mutation(amount: int = 150123, **changes: object) -> Mutation:
    values: dict[str, object] = {
        "mutation_id": "m1",
        "account_number": "123",
        "bank_id": "bank01",
        "type": "CR",
        "amount": Decimal(amount),
        "date": NOW,
        "description": "TRSF E-BANKING CR",
        "note": "",
    }
    values.update(changes)
    return Mutation(**values)  # type: ignore[arg-type]


def test_debit_is_ignored() -> None:
    outcome = match_mutation(mutation(type="DB"), [], [order()], RULES)
    assert outcome == MatchOutcome("ignored")
    assert outcome.status == "ignored"


def test_exact_amount_matches_the_one_open_order() -> None:
    outcome = match_mutation(mutation(), [], [order()], RULES)
    assert (outcome.kind, outcome.order_ref, outcome.status) == (
        "matched",
        "MF-AAAA-0001",
        "matched",
    )


def test_no_order_with_the_amount() -> None:
    outcome = match_mutation(mutation(), [], [], RULES)
    assert (outcome.kind, outcome.reason, outcome.status) == (
        "flagged",
        FlagReason.NO_MATCH,
        "awaiting_approval",
    )


def test_orders_on_another_account_or_bank_or_created_later_do_not_count() -> None:
    others = [
        order(account_number="999"),
        order(bank_id="other-bank"),
        order(created_at=NOW + CLOCK_SKEW + timedelta(seconds=1)),
    ]
    assert match_mutation(mutation(), [], others, RULES).reason == FlagReason.NO_MATCH
    # Within the clock skew, and with the same bank id, they do.
    near = order(created_at=NOW + CLOCK_SKEW, bank_id="bank01")
    assert match_mutation(mutation(), [], [near], RULES).kind == "matched"


def test_several_payable_orders_are_ambiguous() -> None:
    outcome = match_mutation(mutation(), [], [order("MF-AAAA-0001"), order("MF-AAAA-0002")], RULES)
    assert outcome.reason == FlagReason.AMBIGUOUS
    assert outcome.candidates == ["MF-AAAA-0001", "MF-AAAA-0002"]


def test_amount_of_an_expired_order() -> None:
    expired = order(expires_at=NOW - timedelta(minutes=1))
    outcome = match_mutation(mutation(), [], [expired], RULES)
    assert (outcome.reason, outcome.candidates) == (FlagReason.EXPIRED_ORDER, ["MF-AAAA-0001"])


def test_paid_before_expiry_but_processed_later_still_matches() -> None:
    expires = NOW + timedelta(seconds=30)
    assert match_mutation(mutation(), [], [order(expires_at=expires)], RULES).kind == "matched"


def test_amount_of_an_order_someone_already_paid_is_a_double_payment() -> None:
    outcome = match_mutation(mutation(), [], [order(paid_by="m0")], RULES)
    assert (outcome.reason, outcome.candidates) == (FlagReason.ALREADY_PAID, ["MF-AAAA-0001"])


def test_an_order_this_mutation_paid_stays_matched_on_retry() -> None:
    assert match_mutation(mutation(), [], [order(paid_by="m1")], RULES).kind == "matched"
    by_ref = mutation(description="MF-AAAA-0001")
    assert match_mutation(by_ref, [order(paid_by="m1")], [], RULES).kind == "matched"


@pytest.mark.parametrize(
    "text",
    ["PAY MF-AAAA-0001", "mf aaaa 0001 order", "TRF MFAAAA0001", "MF.AAAA/0001", "mf_aaaa-0001"],
)
def test_reference_is_found_whatever_the_bank_did_to_separators(text: str) -> None:
    assert referenced_keys(mutation(description=text), RULES) == ["MFAAAA0001"]
    assert referenced_keys(mutation(description="x", note=text), RULES) == ["MFAAAA0001"]


def test_reference_match_wins_over_amount() -> None:
    referenced = order("MF-AAAA-0001", amount=150123)
    other = order("MF-AAAA-0002", amount=150123)
    outcome = match_mutation(mutation(description="MF-AAAA-0001"), [referenced], [other], RULES)
    assert outcome.order_ref == "MF-AAAA-0001"


@pytest.mark.parametrize(
    ("amount", "reason"), [(150000, FlagReason.UNDERPAID), (150200, FlagReason.OVERPAID)]
)
def test_reference_with_a_different_amount(amount: int, reason: FlagReason) -> None:
    outcome = match_mutation(mutation(amount=amount), [order()], [], RULES)
    assert (outcome.reason, outcome.candidates) == (reason, ["MF-AAAA-0001"])


def test_reference_to_a_paid_or_expired_order() -> None:
    paid = match_mutation(mutation(), [order(paid_by="m0")], [], RULES)
    assert paid.reason == FlagReason.ALREADY_PAID
    expired = match_mutation(mutation(), [order(expires_at=NOW - timedelta(1))], [], RULES)
    assert expired.reason == FlagReason.EXPIRED_ORDER


def test_two_references_are_ambiguous() -> None:
    outcome = match_mutation(mutation(), [order("MF-AAAA-0001"), order("MF-AAAA-0002")], [], RULES)
    assert outcome.reason == FlagReason.AMBIGUOUS


def test_reference_on_another_account_falls_back_to_the_amount() -> None:
    elsewhere = order("MF-AAAA-0009", account_number="999")
    outcome = match_mutation(mutation(), [elsewhere], [order()], RULES)
    assert outcome.order_ref == "MF-AAAA-0001"


def test_high_value_is_flagged_even_when_matched() -> None:
    big = 50_000_000
    outcome = match_mutation(mutation(amount=big), [], [order(amount=big)], RULES)
    assert (outcome.kind, outcome.reason, outcome.order_ref) == (
        "flagged",
        FlagReason.HIGH_VALUE,
        "MF-AAAA-0001",
    )
    below = match_mutation(mutation(amount=big - 1), [], [order(amount=big - 1)], RULES)
    assert below.kind == "matched"
