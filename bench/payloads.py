"""What the benchmarks send: Moota-shaped deliveries (what users receive) or the small
one-field-per-key mutation the first benchmarks used.

The Moota shape follows ../shared/fixtures/moota/ (mutation-with-bank.json and the
SDK delivery): a nested `bank` object, decimal-string amount and balance, dates as
Jakarta wall-clock text, and PHP's json_encode escaping (`\\/`, `\\uXXXX`), compact.
"""

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from mootaflow.domain.moota import JAKARTA

SMALL = "small"
MOOTA = "moota"
SHAPES = (SMALL, MOOTA)
ACCOUNT = "9990001112"


def mutation_id(run: str, index: int, n: int = 0) -> str:
    return f"bench-{run}-{index}-{n}"


def _bank(now: str) -> dict[str, Any]:
    return {
        "corporate_id": None,
        "username": "bench username",
        "atas_nama": "PT Contoh Dagang",
        "balance": "8704362.00",
        "account_number": ACCOUNT,
        "bank_type": "bca",
        "pkg": None,
        "login_retry": 0,
        "date_from": now,
        "date_to": now,
        "meta": [],
        "interval_refresh": 15,
        "next_queue": now,
        "is_active": True,
        "in_queue": 0,
        "in_progress": 0,
        "is_crawling": 1,
        "recurred_at": now,
        "status": None,
        "ip_address": None,
        "ip_address_expired_at": None,
        "created_at": now,
        "token": "Aslx120mlw",
        "bank_id": "bench",
        "label": "BCA",
        "last_update": "",
        "icon": "https://app.moota.co/images/icon-bca.png",
    }


def item(shape: str, run: str, index: int, n: int, now: str) -> dict[str, Any]:
    if shape == SMALL:
        return {
            "account_number": ACCOUNT,
            "date": now,
            "description": "BENCH",
            "note": "",
            "amount": 10000 + index,
            "type": "CR",
            "balance": 0,
            "mutation_id": mutation_id(run, index, n),
            "bank_id": "bench",
        }
    day = now[5:10].replace("-", "/")
    return {
        "account_number": ACCOUNT,
        "date": now,
        "description": f"TRSF E-BANKING CR {day} 9{index % 100000:05d} BUDI SANTOSO/BENCH",
        "amount": f"{10000 + index}.00",
        "type": "CR",
        "note": "Pembayaran pesanan — terima kasih",
        "balance": "8704362.00",
        "created_at": now,
        "updated_at": now,
        "mutation_id": mutation_id(run, index, n),
        "token": "OASiuh(DYNb97",
        "bank_id": "bench",
        "taggings": [],
        "bank": _bank(now),
    }


def delivery(index: int, run: str, size: int = 1, shape: str = MOOTA) -> bytes:
    """One delivery of `size` mutations, as bytes on the wire."""
    # Moota's dates are Jakarta wall-clock time.
    now = datetime.now(JAKARTA).strftime("%Y-%m-%d %H:%M:%S")
    items = [item(shape, run, index, n, now) for n in range(size)]
    text = json.dumps(items, separators=(",", ":"))  # ASCII only: \\uXXXX, as PHP
    return (text.replace("/", "\\/") if shape == MOOTA else text).encode()


def transfer(mutation_id: str, amount: Decimal, note: str = "") -> bytes:
    """One Moota-shaped delivery of one transfer paying `amount`, with the customer's
    `note` (where people write the order reference)."""
    now = datetime.now(JAKARTA).strftime("%Y-%m-%d %H:%M:%S")
    mutation = item(MOOTA, "", 0, 0, now)
    mutation.update(mutation_id=mutation_id, amount=f"{amount:.2f}", note=note)
    return json.dumps([mutation], separators=(",", ":")).replace("/", "\\/").encode()
