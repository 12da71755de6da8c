from decimal import Decimal

import pytest
from pydantic import ValidationError

from mootaflow.domain.orders import (
    NewOrder,
    NoUniqueCodeLeft,
    choose_unique_code,
    describe_errors,
    find_ref_keys,
    new_order_ref,
    ref_key,
)
from mootaflow.domain.settings import DEFAULT_ORDER_REF_PATTERN


def test_new_refs_have_the_documented_shape_and_are_found_again() -> None:
    refs = {new_order_ref() for _ in range(200)}
    assert len(refs) == 200
    for ref in refs:
        assert ref.startswith("MF-") and len(ref) == 12
        assert not set(ref[3:]) & set("ILOU")
        assert find_ref_keys(f"TRSF {ref.lower()} THANKS", DEFAULT_ORDER_REF_PATTERN) == [
            ref_key(ref)
        ]


def test_unique_code_avoids_taken_amounts() -> None:
    taken = {Decimal(100001), Decimal(100002)}
    for _ in range(50):
        assert choose_unique_code(Decimal(100000), taken, 1, 3) == 3


def test_no_code_left() -> None:
    with pytest.raises(NoUniqueCodeLeft, match="all unique codes 1-2 are in use"):
        choose_unique_code(Decimal(100000), {Decimal(100001), Decimal(100002)}, 1, 2)


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
