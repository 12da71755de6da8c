"""Errors from Moota's API as Temporal failures, the same for every activity that calls it."""

from datetime import timedelta

from temporalio.exceptions import ApplicationError

from mootaflow.mootaapi import MootaAuthError, MootaError, MootaResponseError, MootaUnavailable

# Named in the failure an operator reads when Moota refuses the token.
MOOTA_SETTING = "MOOTAFLOW_MOOTA_API_TOKEN"


def moota_failure(exc: MootaError) -> ApplicationError:
    """The Temporal failure for an error from Moota's API (never carries the token)."""
    if isinstance(exc, MootaAuthError):
        return ApplicationError(
            f"Moota refused the API token ({exc}): set a valid token in {MOOTA_SETTING}",
            type="MootaAuthError",
            non_retryable=True,
        )
    if isinstance(exc, MootaUnavailable):
        delay = timedelta(seconds=exc.retry_after) if exc.retry_after is not None else None
        return ApplicationError(str(exc), type="MootaUnavailable", next_retry_delay=delay)
    if isinstance(exc, MootaResponseError):
        # Usually a proxy page in between: may clear up; the policy bounds it by time.
        return ApplicationError(str(exc), type="MootaResponseError")
    # 404, 422, other 4xx: the same request will be refused again.
    return ApplicationError(str(exc), type=type(exc).__name__, non_retryable=True)
