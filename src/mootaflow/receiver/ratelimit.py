"""429 with Retry-After for clients that exceed MOOTAFLOW_RATE_LIMIT_PER_SECOND."""

import math
import time

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from mootaflow.domain.ratelimit import RateLimiter
from mootaflow.domain.settings import Settings
from mootaflow.receiver import metrics
from mootaflow.receiver.client_ip import client_ip

# Sign-in too: it is where a finance token could be guessed.
_LIMITED_PATHS = ("/webhooks/", "/api/", "/finance/signin")


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.limiter = (
            RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
            if settings.rate_limit_per_second > 0
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.limiter is None
            or scope["type"] != "http"
            or not scope["path"].startswith(_LIMITED_PATHS)
        ):
            await self.app(scope, receive, send)
            return
        client = client_ip(Request(scope), self.settings.trusted_proxy_networks)
        wait = self.limiter.check(client, time.monotonic())
        if not wait:
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/webhooks/"):
            metrics.DELIVERIES.labels("rate_limited").inc()
        response = JSONResponse(
            {"error": "rate_limited", "detail": "too many requests; retry later"},
            status_code=429,
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
        await response(scope, receive, send)
