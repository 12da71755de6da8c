"""Baseline (b) for bench/ack: verify the HMAC, answer 200, nothing else.
Run: python bench/minimal_receiver.py PORT SECRET"""

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mootaflow.domain.signature import verify

SECRET = sys.argv[2]


async def webhook(request: Request) -> Response:
    body = await request.body()
    if not verify(body, request.headers.get("Signature"), [SECRET]):
        return JSONResponse({"error": "bad_signature"}, status_code=401)
    return JSONResponse({"received": 1})


app = Starlette(routes=[Route("/webhooks/moota", webhook, methods=["POST"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
