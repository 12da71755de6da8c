"""Baselines (b) for bench/ack: verify the HMAC, answer 200, nothing else; or, given a
SQLite file, also commit the body there with a sync before answering (the inbox's
pragmas: WAL, synchronous=FULL), the least any receiver that acknowledges only what
survives a power cut can do.
Run: python bench/minimal_receiver.py PORT SECRET [SQLITE_FILE]"""

import asyncio
import sqlite3
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mootaflow.domain.signature import verify

SECRET = sys.argv[2]


def synced(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY, body BLOB)")
    return connection


DATABASE = synced(sys.argv[3]) if len(sys.argv) > 3 else None
# One writer at a time, from a thread as the inbox writer: the event loop never syncs.
WRITING = asyncio.Lock()


def commit(connection: sqlite3.Connection, body: bytes) -> None:
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO inbox (body) VALUES (?)", (body,))
    connection.execute("COMMIT")


async def webhook(request: Request) -> Response:
    body = await request.body()
    if not verify(body, request.headers.get("Signature"), [SECRET]):
        return JSONResponse({"error": "bad_signature"}, status_code=401)
    if DATABASE is not None:
        async with WRITING:
            await asyncio.to_thread(commit, DATABASE, body)
    return JSONResponse({"received": 1})


app = Starlette(routes=[Route("/webhooks/moota", webhook, methods=["POST"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
