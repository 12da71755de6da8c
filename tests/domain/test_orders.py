from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mootaflow.domain.orders import (
    NewOrder,
    NoUniqueCodeLeft,
    choose_total,
    describe_errors,
    find_ref_keys,
    new_order_ref,
    ref_key,
    unique_code_of,
)
from mootaflow.domain.settings import DEFAULT_ORDER_REF_PATTERN


def test_new_refs_have_the_documented_shape_and_are_found_again() -> None:
    refs = {new_order_ref() for _ in range(200)}
    assert len(refs) == 200
    for ref in refs:
        assert ref.startswith("MF-") and len(ref) == 12
        assert not set(ref[3:]) & set("ILOU")
        # Overlapping candidates (an "MF" inside the code) may follow; only keys of
        # real orders count when matching.
        found = find_ref_keys(f"TRSF {ref.lower()} THANKS", DEFAULT_ORDER_REF_PATTERN)
        assert found[0] == ref_key(ref)


def test_a_stray_mf_before_the_reference_does_not_hide_it() -> None:
    found = find_ref_keys("ARIF MFAUZAN MF-7K3P-9QXZ", DEFAULT_ORDER_REF_PATTERN)
    assert "MF7K3P9QXZ" in found


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("MF-7K3P-9QXZ", "MF7K3P9QXZ"),
        ("mf-7k3p-9qxz", "MF7K3P9QXZ"),
        ("MF-1O0L-ILOO", "MF10011100"),
    ],
)
def test_ref_key_reads_letters_typed_for_digits(typed: str, key: str) -> None:
    assert ref_key(typed) == key


def test_total_avoids_taken_amounts() -> None:
    taken = {Decimal(100001), Decimal(100002)}
    for _ in range(50):
        assert choose_total(Decimal(100000), taken, 1, 3) == Decimal(100003)


def test_moota_range_example_never_adds_a_code_moota_would_filter_out() -> None:
    # Base 149.500 with a Moota webhook set to 300-500: the old "base + code" gave
    # 149.800-150.000 or worse; now the total ends in 300-500 and is at least the base.
    totals = {choose_total(Decimal(149500), set(), 300, 500) for _ in range(300)}
    assert totals <= {Decimal(149500)} | {Decimal(150000 + c) for c in range(300, 501)}
    assert all(300 <= unique_code_of(t) <= 500 for t in totals)


def test_no_code_left() -> None:
    with pytest.raises(NoUniqueCodeLeft, match="ending in 001-002 is taken"):
        choose_total(Decimal(100000), {Decimal(100001), Decimal(100002)}, 1, 2)


@st.composite
def code_ranges(draw: st.DrawFn) -> tuple[int, int]:
    low = draw(st.integers(0, 999))
    return low, draw(st.integers(low, 999))


@given(
    base=st.integers(1, 10**12),
    codes=code_ranges(),
    taken_offsets=st.sets(st.integers(0, 999), max_size=60),
)
def test_any_total_ends_in_the_range_is_free_and_at_least_the_base(
    base: int, codes: tuple[int, int], taken_offsets: set[int]
) -> None:
    low, high = codes
    taken = {Decimal(base + offset) for offset in taken_offsets}
    free = [
        t for t in range(base, base + 1000) if low <= t % 1000 <= high and Decimal(t) not in taken
    ]
    if not free:
        with pytest.raises(NoUniqueCodeLeft):
            choose_total(Decimal(base), taken, low, high)
        return
    total = choose_total(Decimal(base), taken, low, high)
    assert low <= unique_code_of(total) <= high
    assert total not in taken
    assert base <= total < base + 1000  # never more than Rp 999 on top


@settings(deadline=None, max_examples=25)
@given(base=st.integers(1, 10**9), codes=code_ranges())
def test_every_code_in_the_range_is_reachable_exactly_once_above_the_base(
    base: int, codes: tuple[int, int]
) -> None:
    # So the count of concurrent open orders per base is the size of the range.
    low, high = codes
    taken: set[Decimal] = set()
    for _ in range(high - low + 1):
        taken.add(choose_total(Decimal(base), taken, low, high))
    assert {unique_code_of(t) for t in taken} == set(range(low, high + 1))
    with pytest.raises(NoUniqueCodeLeft):
        choose_total(Decimal(base), taken, low, high)


def test_new_order_accepts_what_merchants_send() -> None:
    order = NewOrder.model_validate(
        {"account_number": 1234567890, "amount": "150000", "customer_email": "a@b.co.id"}
    )
    assert (order.account_number, order.amount) == ("1234567890", Decimal(150000))


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"account_number": "123", "amount": 1.5}, "amount", "not a float"),
        ({"account_number": "123", "amount": "12.5"}, "amount", "whole number of rupiah"),
        ({"account_number": "123", "amount": 0}, "amount", "between 1 and"),
        ({"account_number": "123", "amount": "NaN"}, "amount", "finite"),
        ({"account_number": "x", "amount": 5}, "account_number", "3-64 letters"),
        ({"amount": 5}, "account_number", "Field required"),
        ({"account_number": "123", "amount": 5, "customer_email": "nope"}, "customer_email", ""),
        ({"account_number": "123", "amount": 5, "merchant_ref": "a b"}, "merchant_ref", ""),
        ({"account_number": "123", "amount": 5, "expires_in_minutes": 0}, "expires_in_minutes", ""),
        ({"account_number": "123", "amount": 5, "colour": "red"}, "colour", "Extra inputs"),
    ],
)
def test_new_order_errors_name_the_field(body: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        NewOrder.model_validate(body)
    problems = describe_errors(caught.value)
    assert any(p["field"] == field and message in p["message"] for p in problems), problems
