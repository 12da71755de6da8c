"""What a request handler takes from the running app: settings, database sessions and
the Temporal client. The one place that knows where the app keeps them (the
lifespan state, receiver/state.py)."""

from starlette.requests import Request
from temporalio.client import Client

from mootaflow.domain.errors import Unavailable
from mootaflow.domain.settings import Settings
from mootaflow.receiver.state import app_state
from mootaflow.store.databases import Databases
from mootaflow.store.db import Sessions
from mootaflow.store.one_call import OneCall
from mootaflow.temporal.client import LazyClient


def settings_of(request: Request) -> Settings:
    return app_state(request)["settings"]


def sessions_of(request: Request) -> Sessions:
    return app_state(request)["sessions"]


def reads_of(request: Request) -> OneCall:
    """Reads of the main database in one call each (store/one_call.py)."""
    return app_state(request)["databases"].calls


def inbox_sessions_of(request: Request) -> Sessions:
    """The receiving tables' database (deliveries, inbox, quarantine, reconciliation)."""
    return app_state(request)["databases"].inbox


def databases_of(request: Request) -> Databases:
    return app_state(request)["databases"]


def temporal_of(request: Request) -> LazyClient:
    return app_state(request)["temporal"]


async def temporal_client(request: Request) -> Client:
    """Connects on first use (the receiver starts without Temporal)."""
    try:
        return await app_state(request)["temporal"].get()
    except Exception as exc:  # connection errors come in several kinds
        raise Unavailable(
            "unavailable", f"could not reach Temporal: {exc}", retry_after=5
        ) from None
