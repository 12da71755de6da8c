"""The worker refuses settings under which it would fight its own database pool or cut
running activities short on shutdown (and says which variable to change), and runs
workflows in Temporal's sandbox where MOOTAFLOW_WORKER_SANDBOX asks."""

import httpx
import pytest
from temporalio.client import Client

from mootaflow.domain.settings import Settings, SettingsError
from mootaflow.store.databases import Databases
from mootaflow.temporal.worker import build_worker, check_capacity
from mootaflow.workflows import retries
from tests.temporal.reads_the_clock import ReadsTheClock


def test_defaults_fit() -> None:
    settings = Settings(_env_file=None)
    check_capacity(settings)
    assert 2 * settings.worker_max_activities <= settings.database_pool_size
    assert settings.worker_shutdown_seconds > retries.longest_attempt().total_seconds()


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"database_pool_timeout_seconds": 10}, "MOOTAFLOW_DATABASE_POOL_TIMEOUT_SECONDS"),
        ({"worker_shutdown_seconds": 40}, "MOOTAFLOW_WORKER_SHUTDOWN_SECONDS"),
    ],
)
def test_misfit_is_refused_naming_the_variable(change: dict[str, float], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        check_capacity(Settings(_env_file=None, **change))  # type: ignore[arg-type]


def test_database_steps_retry_by_time_not_count() -> None:
    for step in (retries.DATABASE, retries.INVOICE, retries.RETENTION):
        assert step.retry.maximum_attempts == 0  # unlimited
        assert step.schedule_to_close is not None
    assert retries.DATABASE.schedule_to_close is not None
    assert retries.DATABASE.schedule_to_close.days >= 7


@pytest.mark.parametrize(("sandbox", "answer"), [(True, "refused"), (False, "read")])
async def test_the_sandbox_refuses_what_breaks_determinism_where_it_is_on(
    client: Client, settings: Settings, databases: Databases, sandbox: bool, answer: str
) -> None:
    """On in the tests (conftest), so CI catches such code; off by default, where the
    worker takes the tested code as it is."""
    settings = settings.model_copy(update={"worker_sandbox": sandbox})
    async with (
        httpx.AsyncClient() as http,
        build_worker(client, settings, databases, http, workflows=[ReadsTheClock]),
    ):
        result = await client.execute_workflow(
            ReadsTheClock.run, id=f"clock-{settings.task_queue}", task_queue=settings.task_queue
        )
    assert result == answer
