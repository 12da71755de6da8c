"""The worker refuses settings under which it would fight its own database pool or cut
running activities short on shutdown (and says which variable to change)."""

import pytest

from mootaflow.domain.settings import Settings, SettingsError
from mootaflow.temporal.worker import check_capacity
from mootaflow.workflows import retries


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
