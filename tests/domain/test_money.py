from decimal import Decimal

import pytest

from mootaflow.domain.money import AmountError, format_rupiah, parse_amount, whole_rupiah


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal(150123), "Rp 150.123"),
        (Decimal(999), "Rp 999"),
        (Decimal(1000000), "Rp 1.000.000"),
        (Decimal("100123.50"), "Rp 100.123,50"),
    ],
)
def test_format_rupiah(amount: Decimal, text: str) -> None:
    assert format_rupiah(amount) == text


def test_parse_amount_refuses_floats() -> None:
    with pytest.raises(AmountError, match="got float"):
        parse_amount(100.5)


def test_normalised_forms() -> None:
    assert str(parse_amount("100123.00")) == "100123"
    assert str(parse_amount("100123.5")) == "100123.50"
    assert whole_rupiah(Decimal("100123.50")) == 100123
