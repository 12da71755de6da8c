"""A merchant's system on loopback: records signed callbacks, answers as told."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.servers import serve


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]


@dataclass
class Merchant:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    # Status codes to answer with, in order; 200 once they run out.
    answers: list[int] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        self.received.append(Received(await request.body(), dict(request.headers)))
        status = self.answers.pop(0) if self.answers else 200
        return JSONResponse({"ok": status < 300}, status_code=status)


@asynccontextmanager
async def running_merchant() -> AsyncIterator[Merchant]:
    merchant = Merchant()
    app = Starlette(routes=[Route("/callbacks/moota", merchant.handle, methods=["POST"])])
    async with serve(app) as url:
        merchant.url = f"{url}/callbacks/moota"
        yield merchant
