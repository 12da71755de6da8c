"""`mootaflow orders create|show`: the merchant side from the command line."""

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from mootaflow.domain.errors import Invalid, NotFound, ServiceError
from mootaflow.domain.moota import JAKARTA
from mootaflow.domain.settings import Settings
from mootaflow.services.orders import find_order, new_order, place_order
from mootaflow.store.databases import Databases, open_databases
from mootaflow.store.db import Sessions

T = TypeVar("T")


def create(settings: Settings, fields: dict[str, Any], as_json: bool) -> int:
    try:
        new = new_order({k: v for k, v in fields.items() if v is not None})
    except Invalid as invalid:
        for problem in invalid.detail:
            print(f"error: {problem['field']}: {problem['message']}", file=sys.stderr)
        return 2

    try:
        order, created = asyncio.run(
            with_sessions(settings, lambda s: place_order(s, settings, new))
        )
    except ServiceError as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return 1
    _print_order(order, "created" if created else "already exists", as_json)
    if not as_json:
        low, high = settings.unique_code_min, settings.unique_code_max
        print(
            f"  The last three digits ({order['unique_code']:03d}) are Moota's kode unik: "
            f"your Moota webhook's unique code\n  range must include {low:03d}-{high:03d} "
            "(MOOTAFLOW_UNIQUE_CODE_MIN/MAX), or Moota will not push this transfer."
        )
    return 0


def show(settings: Settings, ref: str, as_json: bool) -> int:
    try:
        order = asyncio.run(with_sessions(settings, lambda s: find_order(s, ref)))
    except NotFound as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return 1
    _print_order(order, f"({order['status']})", as_json)
    return 0


async def with_sessions(settings: Settings, use: Callable[[Sessions], Awaitable[T]]) -> T:
    """Run `use` against the configured main database, for one CLI command."""
    return await with_databases(settings, lambda databases: use(databases.sessions))


async def with_databases(settings: Settings, use: Callable[[Databases], Awaitable[T]]) -> T:
    """Run `use` against the main and the receiving database (store/databases.py)."""
    async with open_databases(settings) as databases:
        return await use(databases)


def _print_order(order: dict[str, Any], state: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps(order, indent=2))
        return
    print(f"Order {order['ref']} {state}")
    rows = [
        ("merchant ref", order["merchant_ref"] or "-"),
        ("account", order["account_number"]),
        ("base amount", order["base_amount"]),
        ("kode unik", f"{order['unique_code']:03d} (last three digits of the amount)"),
        ("PAY EXACTLY", f"{order['amount_display']}  ({order['amount']})"),
        ("customer", order["customer_email"] or order["customer_name"] or "-"),
        ("expires", _local(order["expires_at"])),
    ]
    if order["payment"]:
        payment = order["payment"]
        rows.append(("paid by", f"mutation {payment['mutation_id']} (via {payment['source']})"))
    if order["invoice"]:
        rows.append(("invoice", order["invoice"]["number"]))
    for label, value in rows:
        print(f"  {label:<13} {value}")


def _local(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(JAKARTA).strftime("%Y-%m-%d %H:%M WIB")
