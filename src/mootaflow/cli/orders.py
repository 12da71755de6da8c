"""`mootaflow orders create|show`: the merchant side from the command line."""

import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from mootaflow.domain.moota import JAKARTA
from mootaflow.domain.orders import NewOrder, describe_errors
from mootaflow.domain.settings import Settings
from mootaflow.receiver.errors import ApiError
from mootaflow.receiver.orders import place_order
from mootaflow.receiver.views import order_view
from mootaflow.store import orders
from mootaflow.store.db import create_engine, create_schema, session_factory
from mootaflow.store.invoices import invoice_for_mutation
from mootaflow.store.payments import get_payment


def create(settings: Settings, fields: dict[str, Any], as_json: bool) -> int:
    try:
        new = NewOrder.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        for problem in describe_errors(exc):
            print(f"error: {problem['field']}: {problem['message']}", file=sys.stderr)
        return 2

    async def run() -> tuple[dict[str, Any], bool]:
        engine = create_engine(settings.database_url)
        try:
            await create_schema(engine)
            return await place_order(session_factory(engine), settings, new)
        finally:
            await engine.dispose()

    try:
        order, created = asyncio.run(run())
    except ApiError as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(order, indent=2))
    else:
        print(f"Order {order['ref']} {'created' if created else 'already exists'}")
        _print_order(order)
    return 0


def show(settings: Settings, ref: str, as_json: bool) -> int:
    async def run() -> dict[str, Any] | None:
        engine = create_engine(settings.database_url)
        try:
            await create_schema(engine)
            async with session_factory(engine)() as session:
                await orders.expire_overdue(session, datetime.now(UTC))
                order = await orders.get_order(session, ref)
                if order is None:
                    return None
                payment = invoice = None
                if order.paid_by_mutation_id:
                    payment = await get_payment(session, order.paid_by_mutation_id)
                    invoice = await invoice_for_mutation(session, order.paid_by_mutation_id)
                return order_view(order, payment, invoice)
        finally:
            await engine.dispose()

    order = asyncio.run(run())
    if order is None:
        print(f"error: no order {ref}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(order, indent=2))
    else:
        print(f"Order {order['ref']} ({order['status']})")
        _print_order(order)
    return 0


def _print_order(order: dict[str, Any]) -> None:
    rows = [
        ("merchant ref", order["merchant_ref"] or "-"),
        ("account", order["account_number"]),
        ("base amount", order["base_amount"]),
        ("unique code", order["unique_code"]),
        ("PAY EXACTLY", f"{order['amount_display']}  ({order['amount']})"),
        ("customer", order["customer_email"] or order["customer_name"] or "-"),
        ("expires", _local(order["expires_at"])),
    ]
    if order["invoice"]:
        rows.append(("invoice", order["invoice"]["number"]))
    for label, value in rows:
        print(f"  {label:<13} {value}")


def _local(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(JAKARTA).strftime("%Y-%m-%d %H:%M WIB")
