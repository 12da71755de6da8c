"""The workflow side's SQL: payment rows."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from mootaflow.domain.moota import Mutation
from mootaflow.store.db import insert_ignore
from mootaflow.store.tables import MutationColumns, Payment


async def record_payment(session: AsyncSession, mutation: Mutation, at: datetime) -> bool:
    """Insert the payment row once; True if this call created it."""
    async with session.begin():
        statement = insert_ignore(session, Payment, "mutation_id")
        result = await session.execute(
            statement.values(
                **MutationColumns.values_of(mutation),
                status="received",
                recorded_at=at,
                updated_at=at,
            )
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def get_payment(session: AsyncSession, mutation_id: str) -> Payment | None:
    return await session.get(Payment, mutation_id)
