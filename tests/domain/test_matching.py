from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from mootaflow.domain.matching import (
    CLOCK_SKEW,
    FlagReason,
    IgnoreReason,
    MatchOutcome,
    MatchRules,
    OrderFacts,
    latest_transfer_time,
    match_mutation,
    referenced_keys,
)
from mootaflow.domain.moota import JAKARTA, Mutation
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
    assert outcome == MatchOutcome("ignored", ignored_reason=IgnoreReason.DEBIT)
    assert outcome.status == "ignored"


@pytest.mark.parametrize("test_account", ["123", "bank01"])
def test_mutations_of_a_test_account_or_bank_are_ignored_as_tests(test_account: str) -> None:
    rules = MatchRules(
        DEFAULT_ORDER_REF_PATTERN, Decimal(50_000_000), test_accounts=frozenset({test_account})
    )
    # Even one that would pay an order: a sandbox transfer is not a customer's money.
    outcome = match_mutation(mutation(), [], [order()], rules)
    assert outcome == MatchOutcome("ignored", ignored_reason=IgnoreReason.TEST)
    other = MatchRules(DEFAULT_ORDER_REF_PATTERN, Decimal(50_000_000), frozenset({"999"}))
    assert match_mutation(mutation(), [], [order()], other).kind == "matched"


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


def test_reference_to_an_order_of_another_account_is_flagged_not_booked() -> None:
    elsewhere = order("MF-AAAA-0009", account_number="999")
    # Even with an order of this account at exactly the amount: the customer named
    # another order, so a person decides.
    outcome = match_mutation(mutation(), [elsewhere], [order()], RULES)
    assert (outcome.reason, outcome.candidates, outcome.order_ref) == (
        FlagReason.WRONG_ACCOUNT,
        ["MF-AAAA-0009"],
        "MF-AAAA-0009",
    )


def test_reference_to_an_order_of_another_moota_bank_is_flagged() -> None:
    other_bank = order(bank_id="bank02")
    outcome = match_mutation(mutation(bank_id="bank01"), [other_bank], [], RULES)
    assert outcome.reason == FlagReason.WRONG_ACCOUNT
    # Where either side names no bank, the account number decides.
    assert match_mutation(mutation(bank_id=None), [other_bank], [], RULES).kind == "matched"
    assert match_mutation(mutation(), [order(bank_id=None)], [], RULES).kind == "matched"


def test_an_amount_match_never_crosses_accounts_or_banks() -> None:
    assert match_mutation(mutation(), [], [order(account_number="999")], RULES).reason == (
        FlagReason.NO_MATCH
    )
    assert match_mutation(mutation(), [], [order(bank_id="bank02")], RULES).reason == (
        FlagReason.NO_MATCH
    )


# BCA reports the day only: Moota sends midnight, and created_at says when it saw it.
DAY = datetime(2026, 11, 26, tzinfo=JAKARTA)


def bca(
    seen: datetime | None = DAY + timedelta(hours=10, minutes=25), **changes: object
) -> Mutation:
    values: dict[str, object] = {"date": DAY, "date_only": True, "seen_at": seen, **changes}
    return mutation(**values)  # type: ignore[arg-type]


def test_latest_transfer_time() -> None:
    assert latest_transfer_time(mutation()) == NOW
    assert latest_transfer_time(bca()) == DAY + timedelta(hours=10, minutes=25)
    # No created_at, or one outside that day: some time before the day ended.
    assert latest_transfer_time(bca(seen=None)) == DAY + timedelta(days=1)
    assert latest_transfer_time(bca(seen=DAY + timedelta(days=2))) == DAY + timedelta(days=1)
    assert latest_transfer_time(bca(seen=DAY - timedelta(hours=1))) == DAY + timedelta(days=1)


def test_date_only_transfer_matches_an_order_created_earlier_that_day() -> None:
    # The old rule (created before midnight + 5 min) excluded every order of the day.
    created = DAY + timedelta(hours=10, minutes=24)
    outcome = match_mutation(bca(), [], [order(created_at=created)], RULES)
    assert (outcome.kind, outcome.order_ref) == ("matched", "MF-AAAA-0001")
    by_reference = bca(description="TRSF E-BANKING CR 2611/FTSCY/WS95031 MF-AAAA-0001")
    assert match_mutation(by_reference, [order(created_at=created)], [], RULES).kind == "matched"


def test_date_only_transfer_does_not_match_an_order_created_after_moota_saw_it() -> None:
    seen = DAY + timedelta(hours=10, minutes=25)
    later = order(created_at=seen + CLOCK_SKEW + timedelta(seconds=1))
    assert match_mutation(bca(seen=seen), [], [later], RULES).reason == FlagReason.NO_MATCH
    within_skew = order(created_at=seen + CLOCK_SKEW)
    assert match_mutation(bca(seen=seen), [], [within_skew], RULES).kind == "matched"


def test_date_only_transfer_does_not_match_an_order_created_the_next_day() -> None:
    next_day = order(created_at=DAY + timedelta(days=1, hours=9))
    # Even when Moota only crawled it the next morning.
    for seen in (None, DAY + timedelta(days=1, hours=10)):
        outcome = match_mutation(bca(seen=seen), [], [next_day], RULES)
        assert outcome.reason == FlagReason.NO_MATCH


def test_time_stamped_transfer_keeps_the_exact_rule() -> None:
    at = DAY + timedelta(hours=10)
    after = order(created_at=at + CLOCK_SKEW + timedelta(seconds=1))
    stamped = mutation(date=at, seen_at=at + timedelta(minutes=15))
    assert match_mutation(stamped, [], [after], RULES).reason == FlagReason.NO_MATCH


def test_date_only_transfer_to_an_order_that_expired_before_moota_saw_it_is_flagged() -> None:
    # The money moved some time before 10:25; the order expired at 10:00. Whether the
    # customer paid in time is unknowable, so a person decides.
    expired = order(created_at=DAY + timedelta(hours=9), expires_at=DAY + timedelta(hours=10))
    outcome = match_mutation(bca(), [], [expired], RULES)
    assert (outcome.reason, outcome.candidates) == (FlagReason.EXPIRED_ORDER, ["MF-AAAA-0001"])
    still_open = order(created_at=DAY + timedelta(hours=9), expires_at=DAY + timedelta(hours=11))
    assert match_mutation(bca(), [], [still_open], RULES).kind == "matched"


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
