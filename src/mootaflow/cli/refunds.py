"""`mootaflow refunds`: money to pay back to customers, and recording it paid."""

import argparse
import asyncio
import json
import sys
from decimal import Decimal
from typing import Any

from mootaflow.cli.orders import with_sessions
from mootaflow.domain.errors import ServiceError
from mootaflow.domain.money import format_rupiah
from mootaflow.domain.paging import PageRequest
from mootaflow.domain.settings import Settings
from mootaflow.services import refunds
from mootaflow.store.db import Sessions


def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.refund_action == "mark-paid":
        return _mark_paid(settings, args.refund_id, args.reference, args.by)
    return _list(settings, args.status, args.json)


def _list(settings: Settings, status: str, as_json: bool) -> int:
    async def load(sessions: Sessions) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = PageRequest(limit=500)
        while True:  # every one: a list that stops at some count hides the oldest
            found = await refunds.list_refunds(sessions, refunds.refund_status(status), page)
            rows += [view.as_dict() for view in found.items]
            if found.next is None:
                return rows
            page = PageRequest(limit=500, after=found.next)

    rows = asyncio.run(with_sessions(settings, load))
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"No refunds {status}." if status != "all" else "No refunds.")
        return 0
    for r in rows:
        print(
            f"#{r['id']}  {r['status']:<4}  {format_rupiah(_amount(r))}  order {r['order_ref']}"
            f"  {r['customer_name'] or '-'} <{r['customer_email'] or '-'}>"
        )
        print(f"      transfer {r['mutation_id']} into {r['account_number']}: {r['bank_text']}")
        print(f"      decided by {r['decided_by']}: {r['reason'] or '-'}")
        if r["status"] == "paid":
            print(
                f"      paid by {r['paid_by']} on {r['paid_at']}, reference {r['paid_reference']}"
            )
    if status == "due":
        print(f"\n{len(rows)} due. Record one paid with `mootaflow refunds mark-paid ID "
              "--reference TEXT --by NAME`.")  # fmt: skip
    return 0


def _mark_paid(settings: Settings, refund_id: int, reference: str, by: str) -> int:
    async def mark(sessions: Sessions) -> tuple[Any, bool]:
        return await refunds.mark_paid(sessions, refund_id, reference, by)

    try:
        refund, changed = asyncio.run(with_sessions(settings, mark))
    except ServiceError as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return 1
    verb = "is now recorded as paid" if changed else "was already recorded as paid"
    print(f"Refund #{refund.id} of {format_rupiah(refund.amount)} {verb} "
          f"(reference {refund.paid_reference}, by {refund.paid_by}).")  # fmt: skip
    return 0


def _amount(row: dict[str, Any]) -> Decimal:
    return Decimal(row["amount"])
