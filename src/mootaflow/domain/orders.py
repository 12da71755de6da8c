"""Order references and unique codes: the two ways a transfer is tied to an order."""

import re
import secrets
from collections.abc import Collection
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# Crockford's base32: no I, L, O, U, so a reference read aloud or retyped survives.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REF_PREFIX = "MF"


class NoUniqueCodeLeft(Exception):
    """Every code in the range is taken by an open order with the same base amount."""


def new_order_ref() -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{REF_PREFIX}-{body[:4]}-{body[4:]}"


def ref_key(text: str) -> str:
    """The comparable form of a reference: upper case, letters and digits only."""
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def find_ref_keys(text: str, pattern: str) -> list[str]:
    """Reference keys mentioned in a bank description or note, in order of appearance."""
    found: list[str] = []
    for match in re.finditer(pattern, text.upper()):
        key = ref_key(match.group(0))
        if key not in found:
            found.append(key)
    return found


def choose_unique_code(
    base: Decimal, taken_amounts: Collection[Decimal], low: int, high: int
) -> int:
    """A random code in [low, high] whose total is not already an open order's amount.

    Random rather than smallest-first, so consecutive orders for the same base do
    not differ by one rupiah (a mistyped digit would then pay someone else's order).
    """
    free = [code for code in range(low, high + 1) if base + code not in taken_amounts]
    if not free:
        raise NoUniqueCodeLeft(
            f"all unique codes {low}-{high} are in use for base amount {base} on this account"
        )
    return secrets.choice(free)


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
