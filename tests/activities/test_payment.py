from sqlalchemy import func, select
from temporalio.testing import ActivityEnvironment

from mootaflow.activities.payment import PaymentActivities
from mootaflow.domain.moota import parse_mutation
from mootaflow.domain.settings import Settings
from mootaflow.store.db import Sessions
from mootaflow.store.payments import get_payment
from mootaflow.store.tables import Payment
from tests.support.moota import mutation


async def test_record_mutation_is_idempotent(
    sessions: Sessions, settings: Settings, inbox_sessions: Sessions
) -> None:
    activities = PaymentActivities(sessions, settings, inbox_sessions)
    parsed = parse_mutation(mutation(amount="100123.50"))
    env = ActivityEnvironment()
    assert await env.run(activities.record_mutation, parsed) is True
    # A retry after a lost completion must not create a second row.
    assert await env.run(activities.record_mutation, parsed) is False
    async with sessions.begin() as session:
        count = (await session.execute(select(func.count()).select_from(Payment))).scalar_one()
        payment = await get_payment(session, parsed.mutation_id)
    assert count == 1
    assert payment is not None
    assert (payment.status, str(payment.amount)) == ("received", "100123.50")
