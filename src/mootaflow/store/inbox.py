"""The receiver's SQL: delivery audit rows and the mutation inbox (persist, then ack)."""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Insert, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from mootaflow.domain.moota import Accepted, Mutation, ParsedDelivery, Quarantined
from mootaflow.domain.payments import InboxState
from mootaflow.domain.reconcile import WEBHOOK
from mootaflow.domain.redact import redact, redact_headers
from mootaflow.store.db import built_once, table_of
from mootaflow.store.tables import (
    Delivery,
    InboxMutation,
    MutationColumns,
    QuarantinedMutation,
)

# Stays well under SQLite's limit of bound parameters per statement.
_CHUNK = 500

# The webhook's statements, built once (see store.db.built_once): building and keying
# them per delivery was about a quarter of its CPU in the receiver's transaction.
_DELIVERIES = table_of(Delivery)
_INSERT_DELIVERIES = insert(_DELIVERIES).returning(_DELIVERIES.c.id, sort_by_parameter_order=True)
_COUNT_DUPLICATES = (
    update(_DELIVERIES)
    .where(_DELIVERIES.c.id == bindparam("key"))
    .values(duplicates=bindparam("duplicates"))
)
_INSERT_INBOX = built_once(
    lambda insert: (
        insert(table_of(InboxMutation))
        .on_conflict_do_nothing(index_elements=["mutation_id"])
        .returning(col(InboxMutation.mutation_id), col(InboxMutation.delivery_id))
    )
)
_INSERT_QUARANTINED = built_once(
    lambda insert: insert(table_of(QuarantinedMutation)).on_conflict_do_nothing(
        index_elements=["fingerprint"]
    )
)


@dataclass
class RequestFacts:
    received_at: datetime
    source_ip: str
    headers: dict[str, str]
    body_bytes: int | None
    body_sha256: str | None


@dataclass(frozen=True)
class Saved:
    delivery_id: int
    new: list[Mutation]
    duplicates: int


def dump_json(value: object) -> str:
    # Decimal (the exact numbers of a payload) is stored as its string.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _delivery_values(facts: RequestFacts, **values: Any) -> dict[str, Any]:
    return {
        "received_at": facts.received_at,
        "source_ip": facts.source_ip,
        "headers": dump_json(redact_headers(facts.headers)),
        "body_bytes": facts.body_bytes,
        "body_sha256": facts.body_sha256,
        **values,
    }


async def save_rejected(
    session: AsyncSession, facts: RequestFacts, verdict: str, status_code: int, detail: str
) -> None:
    values = _delivery_values(facts, verdict=verdict, status_code=status_code, detail=detail)
    await session.execute(insert(_DELIVERIES).values(values))


@dataclass(frozen=True)
class Incoming:
    """A verified delivery waiting to be saved."""

    facts: RequestFacts
    parsed: ParsedDelivery
    items: list[object]


def save_accepted(connection: Connection, batch: Sequence[Incoming]) -> list[Saved]:
    """One transaction for a batch of deliveries: audit rows, an inbox row per new
    mutation, quarantined items. A handful of statements whatever the batch size, so
    the receiver can group concurrent deliveries into one commit. A plain function of
    the connection: the receiver runs it in one call (store/one_call.py).

    Insert-or-ignore on the mutation id is what counts duplicates, also between
    deliveries of the same batch and concurrent transactions.
    """
    # Each item redacted and serialised once: for the stored body and for its own row.
    payloads = [[dump_json(redact(item)) for item in incoming.items] for incoming in batch]
    # Core statements, not ORM objects: this is the receiver's hot path.
    result = connection.execute(
        _INSERT_DELIVERIES,
        [
            _delivery_values(
                incoming.facts,
                verdict="accepted",
                status_code=200,
                detail="accepted",
                body="[" + ",".join(texts) + "]",
                received=incoming.parsed.size,
                quarantined=len(incoming.parsed.quarantined),
            )
            for incoming, texts in zip(batch, payloads, strict=True)
        ],
    )
    delivery_ids: list[int] = list(result.scalars())
    rows: list[dict[str, Any]] = []
    quarantine_rows: list[dict[str, Any]] = []
    for incoming, texts, delivery_id in zip(batch, payloads, delivery_ids, strict=True):
        payload_of = {id(item): text for item, text in zip(incoming.items, texts, strict=True)}
        received_at = incoming.facts.received_at
        rows.extend(
            _inbox_row(delivery_id, received_at, a.mutation, payload_of[id(a.raw)])
            for a in incoming.parsed.accepted
        )
        quarantine_rows.extend(
            {
                "fingerprint": q.fingerprint,
                "delivery_id": delivery_id,
                "mutation_id": q.mutation_id,
                "reason": q.reason,
                "payload": payload_of[id(q.raw)],
                "received_at": received_at,
            }
            for q in incoming.parsed.quarantined
        )

    inserted = {
        (mutation_id, delivery_id)
        for mutation_id, delivery_id in _insert_ignoring(connection, _INSERT_INBOX, rows)
    }
    _insert_ignoring(connection, _INSERT_QUARANTINED, quarantine_rows)

    saved: list[Saved] = []
    for incoming, delivery_id in zip(batch, delivery_ids, strict=True):
        new: list[Mutation] = []
        for accepted in incoming.parsed.accepted:
            key = (accepted.mutation.mutation_id, delivery_id)
            # The same id twice in one delivery: only its first occurrence is new.
            if key in inserted:
                inserted.discard(key)
                new.append(accepted.mutation)
        duplicates = len(incoming.parsed.accepted) - len(new)
        saved.append(Saved(delivery_id=delivery_id, new=new, duplicates=duplicates))
    counted = [{"key": s.delivery_id, "duplicates": s.duplicates} for s in saved if s.duplicates]
    if counted:
        connection.execute(_COUNT_DUPLICATES, counted)
    return saved


@dataclass(frozen=True)
class PendingStart:
    """An inbox row waiting for its workflow, and the path that brought it."""

    mutation: Mutation
    source: str


async def pending_mutations(
    session: AsyncSession, limit: int, received_before: datetime | None = None
) -> list[Mutation]:
    """Acknowledged mutations whose workflow has not been started yet, oldest first."""
    return [p.mutation for p in await pending_starts(session, limit, received_before)]


async def pending_starts(
    session: AsyncSession,
    limit: int,
    received_before: datetime | None = None,
    delivery_id: int | None = None,
) -> list[PendingStart]:
    """Pending rows, oldest first (of one delivery or reconcile pass, if given)."""
    query = select(InboxMutation).where(col(InboxMutation.state) == InboxState.PENDING)
    if received_before is not None:
        query = query.where(col(InboxMutation.received_at) < received_before)
    if delivery_id is not None:
        query = query.where(col(InboxMutation.delivery_id) == delivery_id)
    result = await session.execute(query.order_by(col(InboxMutation.received_at)).limit(limit))
    return [
        PendingStart(row.to_mutation(id_derived=row.id_derived), row.source)
        for row in result.scalars()
    ]


async def count_pending(session: AsyncSession) -> int:
    result = await session.execute(
        select(func.count())
        .select_from(InboxMutation)
        .where(col(InboxMutation.state) == InboxState.PENDING)
    )
    return int(result.scalar_one())


def mark_started(connection: Connection, mutation_ids: Sequence[str], at: datetime) -> None:
    for start in range(0, len(mutation_ids), _CHUNK):
        connection.execute(
            update(InboxMutation)
            .where(col(InboxMutation.mutation_id).in_(mutation_ids[start : start + _CHUNK]))
            .values(
                state=InboxState.STARTED,
                started_at=at,
                start_attempts=InboxMutation.start_attempts + 1,
                last_error=None,
            )
        )


def mark_start_failed(connection: Connection, mutation_id: str, error: str) -> None:
    connection.execute(
        update(InboxMutation)
        .where(col(InboxMutation.mutation_id) == mutation_id)
        .values(start_attempts=InboxMutation.start_attempts + 1, last_error=error[:500])
    )


async def source_of(session: AsyncSession, mutation_id: str) -> str:
    """The path that brought the mutation first; a mutation without an inbox row
    (purged by retention, or started by hand) counts as a webhook's."""
    source = await session.scalar(
        select(col(InboxMutation.source)).where(col(InboxMutation.mutation_id) == mutation_id)
    )
    return source or WEBHOOK


async def get_inbox_row(session: AsyncSession, mutation_id: str) -> InboxMutation | None:
    return await session.get(InboxMutation, mutation_id)


def _inbox_row(
    delivery_id: int,
    received_at: datetime,
    mutation: Mutation,
    payload: str,
    source: str = WEBHOOK,
) -> dict[str, Any]:
    return {
        **MutationColumns.values_of(mutation),
        "delivery_id": delivery_id,
        "id_derived": mutation.id_derived,
        "payload": payload,
        "state": InboxState.PENDING,
        "received_at": received_at,
        "start_attempts": 0,
        "source": source,
    }


def insert_listed(
    connection: Connection,
    delivery_id: int,
    received_at: datetime,
    accepted: Sequence[Accepted],
    quarantined: Sequence[Quarantined],
    source: str,
) -> list[str]:
    """Inbox rows for mutations listed through Moota's API, in the caller's transaction.

    The same insert-or-ignore on the mutation id as the webhook's, so whichever path
    comes first makes the row and the other one counts a duplicate. Returns the ids
    of the rows this call inserted.
    """
    rows = [
        _inbox_row(delivery_id, received_at, a.mutation, dump_json(redact(a.raw)), source=source)
        for a in accepted
    ]
    returned = _insert_ignoring(connection, _INSERT_INBOX, rows)
    quarantine_rows = [
        {
            "fingerprint": q.fingerprint,
            "delivery_id": delivery_id,
            "mutation_id": q.mutation_id,
            "reason": q.reason,
            "payload": dump_json(redact(q.raw)),
            "received_at": received_at,
        }
        for q in quarantined
    ]
    _insert_ignoring(connection, _INSERT_QUARANTINED, quarantine_rows)
    return [mutation_id for mutation_id, _ in returned]


def _insert_ignoring(
    connection: Connection,
    statement: Callable[[Connection], Insert],
    rows: list[dict[str, Any]],
) -> list[tuple[Any, ...]]:
    """Insert-or-ignore `rows` with the dialect's `statement`, returning what it returns
    of the rows inserted. One statement with many parameter sets: compiled once whatever
    the number of rows (SQLAlchemy compiles a multi-row VALUES anew each time) and
    batched for us."""
    if not rows:
        return []
    result = connection.execute(statement(connection), rows)
    return [tuple(row) for row in result] if result.returns_rows else []
