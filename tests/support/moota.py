"""Building and posting Moota-style deliveries in tests."""

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx

from mootaflow.domain.moota import JAKARTA
from mootaflow.domain.signature import sign
from tests.conftest import TEST_SECRET


def jakarta_now(offset: timedelta = timedelta()) -> str:
    """Moota's date format, in the bank's (Jakarta) time."""
    return (datetime.now(JAKARTA) + offset).strftime("%Y-%m-%d %H:%M:%S")


def mutation(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "account_number": "1234567890",
        "date": jakarta_now(),
        "description": "TRSF E-BANKING CR TEST",
        "note": "",
        "amount": 150123,
        "type": "CR",
        "balance": 0,
        "mutation_id": f"t-{uuid.uuid4().hex[:16]}",
        "token": "mutation-token-should-not-be-stored",
        "bank_id": "bank01",
    }
    item.update(changes)
    return item


def body_of(*items: Any) -> bytes:
    return json.dumps(list(items), separators=(",", ":")).encode()


async def post_signed(
    http: httpx.AsyncClient,
    body: bytes,
    *,
    secret: str = TEST_SECRET,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {"Content-Type": "application/json", "Signature": sign(body, secret)}
    sent.update(headers or {})
    return await http.post("/webhooks/moota", content=body, headers=sent)


# A bank account as Moota describes it (shape of ../shared/fixtures/moota-api/).
BCA_ACCOUNT = "0061234567"
BCA_BANK_ID = "K3jd9ALs0qP"


def moota_item(
    *,
    amount: int | str,
    account_number: str = BCA_ACCOUNT,
    bank_id: str = BCA_BANK_ID,
    bank_type: str = "bca",
    description: str = "TRSF E-BANKING CR 2611/FTSCY/WS95031",
    date: str | None = None,
    created_at: str | None = None,
    mutation_id: str | None = None,
    type: str = "CR",
) -> dict[str, Any]:
    """A mutation exactly as Moota sends it: decimal-string amounts, a nested `bank`
    object, and for BCA the day only (midnight) with created_at saying when Moota saw it."""
    seen = created_at or jakarta_now()
    if date is None:
        date = seen[:10] + " 00:00:00" if bank_type == "bca" else seen
    money = f"{amount}.00" if isinstance(amount, int) else amount
    token = mutation_id or uuid.uuid4().hex[:11]
    return {
        "account_number": account_number,
        "date": date,
        "description": description,
        "amount": money,
        "type": type,
        "note": "",
        "balance": "4150123.00",
        "created_at": seen,
        "updated_at": seen,
        "mutation_id": token,
        "token": token,
        "bank_id": bank_id,
        "taggings": [],
        "bank": {
            "corporate_id": None,
            "username": "tokoku",
            "atas_nama": "Toko Kopi Sejahtera",
            "balance": "4150123.00",
            "account_number": account_number,
            "bank_type": bank_type,
            "login_retry": 0,
            "meta": {"access_token": "secret-session-token"},
            "interval_refresh": 15,
            "is_active": True,
            "token": bank_id,
            "bank_id": bank_id,
            "label": bank_type.upper(),
            "last_update": "2026-11-24T03:41:07.000000Z",
        },
    }


def php_body_of(*items: Any) -> bytes:
    """As PHP's json_encode writes it: compact, '/' escaped, non-ASCII as \\uXXXX."""
    return json.dumps(list(items), separators=(",", ":")).replace("/", "\\/").encode()
