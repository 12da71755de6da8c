"""What mootaflow has written back on each Moota mutation (note, tags, outcome)."""

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from mootaflow.store.db import insert_ignore
from mootaflow.store.tables import MootaWriteBack


@dataclass(frozen=True)
class Written:
    """The state on Moota as far as mootaflow knows: its note and its own tags."""

    note: str | None = None
    tags: list[str] = field(default_factory=list)
    status: str = ""
    detail: str = ""


async def get_written(session: AsyncSession, mutation_id: str) -> Written:
    row = await session.get(MootaWriteBack, mutation_id)
    if row is None:
        return Written()
    return Written(row.note, list(json.loads(row.tags)), row.status, row.detail)


async def save_written(
    session: AsyncSession, mutation_id: str, written: Written, at: datetime
) -> None:
    """Record the state after each call to Moota, so a retry repeats none of them."""
    # Two write-backs of one mutation may overlap (flagged, then decided): no
    # duplicate-key error for the second, and the row locked while it is changed.
    await session.execute(
        insert_ignore(session, MootaWriteBack, "mutation_id").values(
            mutation_id=mutation_id, tags="[]", status="", detail="", updated_at=at
        )
    )
    row = await session.get(MootaWriteBack, mutation_id, with_for_update=True)
    assert row is not None
    row.note = written.note
    row.tags = json.dumps(written.tags)
    row.status = written.status
    row.detail = written.detail[:1000]
    row.updated_at = at
