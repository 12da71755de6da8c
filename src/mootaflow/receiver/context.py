"""What a request handler takes from the running app: settings, database sessions and
the Temporal client. The one place that knows where the app keeps them."""

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from temporalio.client import Client

from mootaflow.domain.errors import Unavailable
from mootaflow.domain.settings import Settings
from mootaflow.store.db import Sessions


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def sessions_of(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


def client_getter(request: Request) -> Callable[[], Awaitable[Client]]:
    """Connects on first use (the receiver starts without Temporal)."""
    getter: Callable[[], Awaitable[Client]] = request.app.state.starter.client
    return getter


async def temporal_client(request: Request) -> Client:
    try:
        return await client_getter(request)()
    except Exception as exc:  # connection errors come in several kinds
        raise Unavailable(
            "unavailable", f"could not reach Temporal: {exc}", retry_after=5
        ) from None
