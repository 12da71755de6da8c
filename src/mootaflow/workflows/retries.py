"""Every retry policy and activity timeout, in one place, each with its reason."""

from datetime import timedelta

from temporalio.common import RetryPolicy

# Database steps: our own database is either up within minutes or an operator
# is already looking at it. Short, bounded, then the workflow shows the failure.
DATABASE = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=20,
)
DATABASE_TIMEOUT = timedelta(seconds=30)
