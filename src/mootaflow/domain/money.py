"""Exact money handling. Amounts are Decimal rupiah, never float."""

from decimal import Decimal, InvalidOperation

MAX_AMOUNT = Decimal("1000000000000000")  # 10^15 rupiah: far above any real transfer


class AmountError(ValueError):
    """The value is not a valid positive rupiah amount."""


def parse_amount(value: object) -> Decimal:
    """Accept Moota's variants: int, decimal string ("100123.00") or an exact JSON number.

    Floats are refused: the JSON parser must hand us Decimal, so a float here means
    precision was already lost somewhere.
    """
    if isinstance(value, bool) or value is None:
        raise AmountError(f"amount must be a number, got {_describe(value)}")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 32:
            raise AmountError(f"amount {value!r} is not a decimal number")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise AmountError(f"amount {value!r} is not a decimal number") from None
    else:
        raise AmountError(f"amount must be a number, got {_describe(value)}")
    if not amount.is_finite():
        raise AmountError("amount must be finite")
    if amount <= 0:
        raise AmountError(f"amount must be positive, got {amount}")
    if amount >= MAX_AMOUNT:
        raise AmountError(f"amount {amount} is implausibly large")
    # Rupiah have no sub-units in practice, but banks report two decimals ("100123.00").
    if amount != amount.quantize(Decimal("0.01")):
        raise AmountError(f"amount {amount} has more than two decimal places")
    return normalize_amount(amount)


def normalize_amount(amount: Decimal) -> Decimal:
    """Canonical form: whole rupiah without exponent, otherwise two decimals."""
    if amount == amount.to_integral_value():
        return amount.quantize(Decimal(1))
    return amount.quantize(Decimal("0.01"))


def whole_rupiah(amount: Decimal) -> int:
    """Integer rupiah (truncated), for places that only take integers such as AmountIdr."""
    return int(amount)


def format_rupiah(amount: Decimal) -> str:
    """Indonesian notation: Rp 150.123 (dot for thousands, comma for decimals)."""
    amount = normalize_amount(amount)
    whole = int(amount)
    text = f"{whole:,}".replace(",", ".")
    cents = int((amount - whole) * 100)
    return f"Rp {text},{cents:02d}" if cents else f"Rp {text}"


def _describe(value: object) -> str:
    return "null" if value is None else type(value).__name__
