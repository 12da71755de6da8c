"""`mootaflow simulate`: post a correctly signed Moota-style delivery to a receiver."""

import json
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from mootaflow.domain.moota import JAKARTA
from mootaflow.domain.signature import SIGNATURE_HEADER, sign


def build_delivery(
    *,
    account: str,
    amount: Decimal,
    description: str,
    note: str,
    mutation_type: str,
    count: int,
    bank_id: str,
    now: datetime,
    date_only: bool = False,
) -> bytes:
    """A compact JSON array shaped like Moota's (PHP json_encode escapes '/' as '\\/').

    date_only: as BCA reports it, the day at midnight; created_at keeps the time.
    """
    stamp = now.astimezone(JAKARTA).strftime("%Y-%m-%d %H:%M:%S")
    day = stamp[:10] + " 00:00:00" if date_only else stamp
    amount_value: Any = int(amount) if amount == amount.to_integral_value() else str(amount)
    items = [
        {
            "account_number": account,
            "date": day,
            "description": description,
            "note": note,
            "amount": amount_value,
            "type": mutation_type,
            "balance": 0,
            "updated_at": stamp,
            "created_at": stamp,
            "mutation_id": f"sim-{secrets.token_hex(8)}",
            "token": bank_id,
            "bank_id": bank_id,
            "taggings": [],
        }
        for _ in range(count)
    ]
    text = json.dumps(items, separators=(",", ":"))
    return text.replace("/", "\\/").encode()


def post_delivery(url: str, body: bytes, secret: str, timeout: float = 10.0) -> httpx.Response:
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": "MootaBot/1.5 (mootaflow simulate)",
        SIGNATURE_HEADER: sign(body, secret),
    }
    return httpx.post(url, content=body, headers=headers, timeout=timeout)
