"""Moota API v2 client: bank accounts, paged mutation listings, notes, tags, refresh.

Imports only `mootaflow.domain`: the store, workflows and receiver use it, never
the other way round.
"""

from mootaflow.mootaapi.client import MootaClient
from mootaflow.mootaapi.errors import (
    MootaAuthError,
    MootaError,
    MootaNotFound,
    MootaRequestError,
    MootaResponseError,
    MootaUnavailable,
    MootaValidationError,
)
from mootaflow.mootaapi.models import DEFAULT_PER_PAGE, BankAccount, MutationPage, StoreResult, Tag
from mootaflow.mootaapi.retry import NO_RETRIES, RetryPolicy, parse_retry_after

__all__ = [
    "DEFAULT_PER_PAGE",
    "NO_RETRIES",
    "BankAccount",
    "MootaAuthError",
    "MootaClient",
    "MootaError",
    "MootaNotFound",
    "MootaRequestError",
    "MootaResponseError",
    "MootaUnavailable",
    "MootaValidationError",
    "MutationPage",
    "RetryPolicy",
    "StoreResult",
    "Tag",
    "parse_retry_after",
]
