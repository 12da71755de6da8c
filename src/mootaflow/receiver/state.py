"""What the receiver's lifespan owns, shared by every request (Starlette's lifespan
state: handlers read it from the request, typed, instead of from `app.state`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict, cast

from starlette.requests import Request

if TYPE_CHECKING:  # Types only: the modules below read the state themselves.
    from mootaflow.domain.settings import Settings
    from mootaflow.mootaapi import MootaClient
    from mootaflow.receiver.inbox_writer import InboxWriter
    from mootaflow.receiver.redrive import Redrive
    from mootaflow.receiver.start_pool import StartPool
    from mootaflow.store.databases import Databases
    from mootaflow.store.db import Sessions
    from mootaflow.temporal.client import LazyClient


class AppState(TypedDict):
    settings: Settings
    databases: Databases
    # databases.sessions: the main database (orders, payments, ...).
    sessions: Sessions
    temporal: LazyClient
    inbox_writer: InboxWriter
    starts: StartPool
    redrive: Redrive
    # Moota's API, for customers' "I have paid" checks (None without a token).
    moota: MootaClient | None


def app_state(request: Request) -> AppState:
    # Starlette copies the lifespan's state into every request's scope.
    return cast(AppState, request.scope["state"])
