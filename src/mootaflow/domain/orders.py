"""Order references and unique codes: the two ways a transfer is tied to an order."""

import re
import secrets
from collections.abc import Collection
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# Crockford's base32: no I, L, O, U, so a reference read aloud or retyped survives.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REF_PREFIX = "MF"
_CROCKFORD_READING = str.maketrans("OIL", "011")


# Moota's kode unik is the last three digits of the amount; a webhook set to
# start_unique_code-end_unique_code only pushes amounts ending in that range.
CODE_MODULUS = 1000


class NoUniqueCodeLeft(Exception):
    """Every total in reach is taken by an open order (or held for a late payer)."""


def new_order_ref() -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{REF_PREFIX}-{body[:4]}-{body[4:]}"


def ref_key(text: str) -> str:
    """The comparable form of a reference: upper case, letters and digits only,
    with the letters people type for digits read as Crockford does (O is 0, I and
    L are 1; our references never contain them)."""
    return re.sub(r"[^0-9A-Z]", "", text.upper()).translate(_CROCKFORD_READING)


def find_ref_keys(text: str, pattern: str) -> list[str]:
    """Reference keys mentioned in a bank description or note, in order of appearance.

    Matches may overlap (a lookahead at every position), so a stray "MF" in a name
    just before a real reference cannot swallow its first characters.
    """
    found: list[str] = []
    for match in re.finditer(f"(?=({pattern}))", text.upper()):
        key = ref_key(match.group(1))
        if key not in found:
            found.append(key)
    return found


def unique_code_of(total: Decimal) -> int:
    """Moota's kode unik of an amount: its last three digits (whole rupiah)."""
    return int(total) % CODE_MODULUS


def choose_total(base: Decimal, taken: Collection[Decimal], low: int, high: int) -> Decimal:
    """A random amount to pay, at least `base`, whose kode unik lies in [low, high]
    and that no order in `taken` asks for.

    The candidates are the totals in [base, base + 999] ending in the range: every
    window of a thousand rupiah holds each ending once, so the customer never pays
    more than Rp 999 extra, and the webhook's unique-code filter lets every one
    through. Random rather than smallest-first, so consecutive orders for the same
    base do not differ by one rupiah (a mistyped digit would then pay someone
    else's order).
    """
    start = int(base)
    held = {int(amount) for amount in taken if amount == amount.to_integral_value()}
    free = [
        total
        for total in range(start, start + CODE_MODULUS)
        if low <= total % CODE_MODULUS <= high and total not in held
    ]
    if not free:
        raise NoUniqueCodeLeft(
            f"every amount from {start} to {start + CODE_MODULUS - 1} ending in "
            f"{low:03d}-{high:03d} is taken by an open or recently expired order on this "
            "account; widen MOOTAFLOW_UNIQUE_CODE_MIN/MAX or wait for orders to close"
        )
    return Decimal(secrets.choice(free))


class NewOrder(BaseModel):
    """A merchant's order request, as the API and the CLI accept it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    account_number: str = Field(description="Account the customer pays into.")
    amount: Decimal = Field(description="Base amount in whole rupiah, before the unique code.")
    merchant_ref: str | None = None
    customer_name: str = Field(default="", max_length=200)
    customer_email: str | None = None
    bank_id: str | None = Field(default=None, max_length=64)
    expires_in_minutes: int | None = Field(default=None, ge=1, le=60 * 24 * 90)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: object) -> object:
        if isinstance(value, str) and any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError("must not contain control characters")
        return value

    @field_validator("account_number", mode="before")
    @classmethod
    def _account(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and not _ACCOUNT.fullmatch(value.strip()):
            raise ValueError("must be 3-64 letters, digits, '.' or '-'")
        return value

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, value: object) -> object:
        if isinstance(value, float | bool):
            raise ValueError("must be an integer or a decimal string, not a float")
        return value

    @field_validator("amount")
    @classmethod
    def _whole_rupiah(cls, value: Decimal) -> Decimal:
        if not value.is_finite() or value != value.to_integral_value():
            raise ValueError("must be a whole number of rupiah")
        if not 0 < value < MAX_ORDER_AMOUNT:
            raise ValueError(f"must be between 1 and {MAX_ORDER_AMOUNT - 1}")
        return value.quantize(Decimal(1))

    @field_validator("merchant_ref")
    @classmethod
    def _merchant_ref(cls, value: str | None) -> str | None:
        if value is not None and not _MERCHANT_REF.fullmatch(value):
            raise ValueError("must be 1-64 printable characters without spaces")
        return value or None

    @field_validator("customer_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and (len(value) > 254 or not _EMAIL.fullmatch(value)):
            raise ValueError("is not an email address")
        return value or None


MAX_ORDER_AMOUNT = Decimal(10) ** 13
_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")
_ACCOUNT = re.compile(r"[0-9A-Za-z.\-]{3,64}")
_MERCHANT_REF = re.compile(r"[\x21-\x7e]{1,64}")


def describe_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic's errors as [{"field": ..., "message": ...}] for people."""
    return [
        {
            "field": ".".join(str(part) for part in error["loc"]) or "body",
            "message": error["msg"].removeprefix("Value error, "),
        }
        for error in exc.errors()
    ]
