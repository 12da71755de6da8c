"""Real servers on loopback for tests: the receiver under uvicorn, a Temporal worker."""

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import cast

import httpx
import uvicorn
from starlette.applications import Starlette

from mootaflow.domain.settings import Settings
from mootaflow.receiver.app import create_app
from mootaflow.receiver.state import AppState


@dataclass
class RunningReceiver:
    url: str
    app: Starlette
    http: httpx.AsyncClient
    # What the app's lifespan owns (workflow starts, redrive, ...).
    state: AppState

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/webhooks/moota"


@asynccontextmanager
async def running_receiver(settings: Settings) -> AsyncIterator[RunningReceiver]:
    """The receiver app served by uvicorn on a free loopback port, as in production."""
    app = create_app(settings)
    async with (
        serve_with_server(app) as (url, server),
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        state = cast(AppState, server.lifespan.state)
        yield RunningReceiver(url=url, app=app, http=http, state=state)


@asynccontextmanager
async def serve(app: Starlette) -> AsyncIterator[str]:
    """Any ASGI app under uvicorn on a free loopback port; yields its base URL."""
    async with serve_with_server(app) as (url, _):
        yield url


@asynccontextmanager
async def serve_with_server(app: Starlette) -> AsyncIterator[tuple[str, uvicorn.Server]]:
    """`serve`, with the uvicorn server (its lifespan holds the app's state)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, proxy_headers=False, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("server exited during start-up")
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        await task
        sock.close()
