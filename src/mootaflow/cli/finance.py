"""`mootaflow pending|approve|reject`: finance decisions from the command line."""

import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any, Literal

from mootaflow.cli.orders import with_databases, with_sessions
from mootaflow.domain.errors import ServiceError, Unavailable
from mootaflow.domain.money import format_rupiah
from mootaflow.domain.payments import PaymentStatus
from mootaflow.domain.settings import Settings
from mootaflow.services.decisions import Answer, submit_decision
from mootaflow.services.payments import all_waiting
from mootaflow.store.databases import Databases
from mootaflow.store.db import Sessions
from mootaflow.temporal.client import connect


def pending(settings: Settings, as_json: bool) -> int:
    async def load(sessions: Sessions) -> list[dict[str, Any]]:
        # Unresolved ones too: nobody decided in time, but the money arrived. All of
        # them, page by page: a list that stops at some count hides the oldest.
        rows = await all_waiting(sessions, (PaymentStatus.AWAITING_APPROVAL,))
        rows += await all_waiting(sessions, (PaymentStatus.UNRESOLVED,))
        now = datetime.now(UTC)
        return [
            {
                "mutation_id": p.mutation_id,
                "status": p.status,
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


# Exit codes of approve/reject: 0 applied, 1 refused (the reason is printed),
# 3 not applied because no worker or Temporal answered (try again), 4 taken and
# still being applied (it will complete: follow it with `mootaflow pending`).
REFUSED, UNAVAILABLE, IN_PROGRESS = 1, 3, 4


def decide(
    settings: Settings,
    kind: Literal["approve", "reject"],
    mutation_id: str,
    by: str,
    order_ref: str | None,
    text: str,
    difference: str | None = None,
    allocations: list[dict[str, str | None]] | None = None,
) -> int:
    """Send the decision and wait for its outcome, as the API does."""

    async def send(databases: Databases) -> Answer:
        client = await connect(settings)
        return await submit_decision(
            databases.calls, client, settings, kind, mutation_id, by, order_ref=order_ref,
            text=text, difference=difference, allocations=allocations,
        )  # fmt: skip

    try:
        answer = asyncio.run(with_databases(settings, send))
    except ServiceError as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return UNAVAILABLE if isinstance(error, Unavailable) else REFUSED
    except (OSError, RuntimeError) as exc:
        # Client.connect raises RuntimeError when Temporal does not answer.
        print(f"error: could not reach Temporal: {exc}", file=sys.stderr)
        return UNAVAILABLE
    outcome = answer.outcome
    if outcome is None:
        print(
            f"{kind.capitalize()} of {mutation_id} by {by} was taken by workflow "
            f"{answer.workflow_id} and is still being applied; follow it with "
            "`mootaflow pending` or the Temporal UI."
        )
        return IN_PROGRESS
    if outcome.result == "booked" and outcome.invoice_number:
        print(
            f"Approved by {by}: payment {mutation_id} is paid, booked to order "
            f"{outcome.order_ref}, invoice {outcome.invoice_number}."
        )
        if outcome.detail:
            print(f"  {outcome.detail}")
    elif outcome.result == "booked":
        print(f"Approved by {by}: payment {mutation_id} is booked: {outcome.detail}.")
    else:
        print(f"Rejected by {by}: payment {mutation_id} is rejected; nothing was booked.")
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
