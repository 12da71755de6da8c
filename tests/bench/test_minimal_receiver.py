"""bench/minimal_receiver, the ack bench's baselines: with a SQLite file it answers 200
only for a body it has committed there, and a bad signature writes nothing."""

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

import httpx
from bench.ack import MINIMAL
from bench.payloads import delivery
from bench.stack import free_port, spawn, stop

from mootaflow.domain.signature import sign


async def test_the_synced_endpoint_answers_for_what_it_committed(tmp_path: Path) -> None:
    port, database = free_port(), tmp_path / "inbox.db"
    command = [sys.executable, str(MINIMAL), str(port), "s3cret", str(database)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    endpoint = spawn(command, env, tmp_path / "endpoint.log")
    url = f"http://127.0.0.1:{port}/webhooks/moota"
    body = delivery(0, "run")
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(100):
                try:
                    refused = await http.post(url, content=body, headers={"Signature": "x"})
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("the endpoint did not start")
            answered = await http.post(
                url, content=body, headers={"Signature": sign(body, "s3cret")}
            )
    finally:
        stop({"endpoint": endpoint})
    assert (refused.status_code, answered.status_code) == (401, 200)
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT body FROM inbox").fetchall() == [(body,)]
