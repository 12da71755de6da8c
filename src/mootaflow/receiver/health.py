"""Liveness and readiness probes."""

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mootaflow.receiver.state import app_state
from mootaflow.store.db import ping

_CHECK_TIMEOUT = 2.0


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready when the database answers and Temporal answers, each within 2 s."""
    state = app_state(request)
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(_CHECK_TIMEOUT):
            for engine in state["databases"].engines:
                await ping(engine)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    try:
        async with asyncio.timeout(_CHECK_TIMEOUT):
            client = await state["temporal"].get()
            await client.service_client.check_health()
        checks["temporal"] = "ok"
    except Exception as exc:
        checks["temporal"] = f"unavailable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
    )
