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
