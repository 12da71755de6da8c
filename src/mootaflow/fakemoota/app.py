"""The fake Moota as one Starlette app: the API under `/api/v2`, control under `/_fake`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from mootaflow.fakemoota.api import api_routes
from mootaflow.fakemoota.control import control_routes
from mootaflow.fakemoota.fake import FakeMoota


def create_app(fake: FakeMoota) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        # Deliveries still retrying die with the server, as they would with Moota's.
        await fake.webhooks.aclose()

    app = Starlette(routes=[*api_routes(fake), *control_routes(fake)], lifespan=lifespan)
    app.state.fake = fake
    return app
