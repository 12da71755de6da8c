"""`mootaflow pending|approve|reject`: finance decisions from the command line."""

import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any, Literal

from mootaflow.cli.orders import with_sessions
from mootaflow.domain.money import format_rupiah
from mootaflow.domain.settings import Settings
from mootaflow.receiver.decisions import submit_decision
from mootaflow.receiver.errors import ApiError
from mootaflow.store import payments
from mootaflow.store.db import Sessions
from mootaflow.workflows.temporal import connect


def pending(settings: Settings, as_json: bool) -> int:
    async def load(sessions: Sessions) -> list[dict[str, Any]]:
        async with sessions() as session:
            rows = await payments.by_status(session, "awaiting_approval")
        now = datetime.now(UTC)
        return [
            {
                "mutation_id": p.mutation_id,
                "reason": p.flag_reason or "",
                "amount": format_rupiah(p.amount),
                "account": p.account_number,
                "candidates": ", ".join(json.loads(p.candidates)) or "-",
                "source": p.source,
                "age": _age(now - p.recorded_at),
            }
            for p in rows
        ]

    rows = asyncio.run(with_sessions(settings, load))
    if as_json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("No payments are waiting for a decision.")
    else:
        print(_table(rows))
        print(f"\n{len(rows)} waiting. Decide with `mootaflow approve` or `mootaflow reject`.")
    return 0


def decide(
    settings: Settings,
    kind: Literal["approve", "reject"],
    mutation_id: str,
    by: str,
    order_ref: str | None,
    text: str,
) -> int:
    async def send(sessions: Sessions) -> dict[str, Any]:
        async def client() -> Any:
            return await connect(settings)

        return await submit_decision(
            sessions, client, kind, mutation_id, by, order_ref=order_ref, text=text
        )

    try:
        sent = asyncio.run(with_sessions(settings, send))
    except ApiError as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return 1
    verb = "Approval" if kind == "approve" else "Rejection"
    target = f" (book to {sent[kind]['order_ref']})" if sent[kind].get("order_ref") else ""
    print(f"{verb} of {mutation_id} by {by}{target} sent to workflow {sent['workflow_id']}.")
    print(f"Follow it with: mootaflow pending, or the Temporal UI ({sent['workflow_id']}).")
    return 0


def _table(rows: list[dict[str, Any]]) -> str:
    headers = list(rows[0])
    widths = {h: max(len(h), *(len(str(r[h])) for r in rows)) for h in headers}
    lines = ["  ".join(h.upper().ljust(widths[h]) for h in headers)]
    lines += ["  ".join(str(r[h]).ljust(widths[h]) for h in headers) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def _age(delta: Any) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h{minutes % 60:02d}m"
    return f"{minutes // (24 * 60)}d"
