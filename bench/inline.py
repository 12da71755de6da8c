"""bench/inline: the anti-pattern, for comparison. The same signed deliveries (each paying
a pre-created order) go to bench/inline_receiver.py, which does the whole payment
(match, mark paid, invoice PDF, email to a local SMTP sink) before it answers. Same
open-loop generator and rates as bench/ack, with Moota's 5 s client timeout: it reports
ack percentiles and how many replies came later than 5 s or not at all.

    .venv/bin/python -m bench.inline --rates 100,300 --durations 15
"""

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from bench.ack import numbers
from bench.e2e_parts import REPO, create_orders, signed
from bench.loadclient import LoadClient
from bench.loadgen import Figures, open_loop, report
from bench.payloads import transfer
from bench.results import write_result
from bench.smtp_sink import SmtpSink
from bench.stack import free_port, run_bench, spawn, stop, tail

MOOTA_TIMEOUT_S = 5.0


async def wait_in_flight_zero(http: httpx.AsyncClient, base: str, label: str) -> float:
    """Until the receiver has finished every request, also those whose client gave up."""
    began = shown = time.monotonic()
    while True:
        left = int((await http.get(f"{base}/inflight")).json()["in_flight"])
        if left == 0:
            return round(time.monotonic() - began, 1)
        if time.monotonic() - shown > 10:
            shown = time.monotonic()
            print(f"  {label}: {left} requests still being processed", flush=True)
        await asyncio.sleep(0.5)


async def phase(
    base: str, bodies: list[bytes], rate: float, duration: float
) -> tuple[Figures, int]:
    timeouts = 0
    client = LoadClient(f"{base}/webhooks/moota", timeout=MOOTA_TIMEOUT_S)
    requests = [client.request(body, signed(body)) for body in bodies]

    async def call(i: int) -> bool:
        nonlocal timeouts
        try:
            status, _ = await client.send(requests[i])
        except TimeoutError:
            timeouts += 1  # what Moota sees as a failed delivery (and re-sends)
            return False
        return status == 200

    try:
        figures = await open_loop("inline processing", rate, duration, call)
    finally:
        await client.close()
    return figures, timeouts


async def run_phases(rates: list[float], durations: list[float], workdir: Path) -> dict[str, Any]:
    database_url = f"sqlite+aiosqlite:///{workdir / 'inline.db'}"
    total = sum(int(r * d) for r, d in zip(rates, durations, strict=True))
    print(f"creating {total} orders ...", flush=True)
    run_id = uuid.uuid4().hex[:8]
    orders = await create_orders(database_url, total, f"inline-{run_id}-")
    bodies = [transfer(f"inline-{run_id}-{i}", order.amount) for i, order in enumerate(orders)]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with SmtpSink() as sink:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "MOOTAFLOW_ENV": "dev",
            "MOOTAFLOW_LOG_LEVEL": "WARNING",
            "MOOTAFLOW_DATABASE_URL": database_url,
            "MOOTAFLOW_SMTP_HOST": sink.host,
            "MOOTAFLOW_SMTP_PORT": str(sink.port),
            "MOOTAFLOW_SMTP_SECURITY": "none",
        }
        log = workdir / "inline.log"
        command = [sys.executable, "-m", "bench.inline_receiver", str(port)]
        children = {"inline": spawn(command, env, log)}
        try:
            async with httpx.AsyncClient(timeout=30) as http:
                while True:
                    if children["inline"].poll() is not None:
                        raise RuntimeError(f"inline receiver exited:\n{tail(log)}")
                    try:
                        await http.get(f"{base}/inflight")
                        break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.3)
                phases = []
                offset = 0
                for rate, duration in zip(rates, durations, strict=True):
                    count = int(rate * duration)
                    print(f"== inline: {rate:g}/s for {duration:g} s", flush=True)
                    figures, timeouts = await phase(
                        base, bodies[offset : offset + count], rate, duration
                    )
                    offset += count
                    report([figures])
                    print(f"  timeouts (no reply within 5 s): {timeouts}", flush=True)
                    drained = await wait_in_flight_zero(http, base, "inline")
                    print(f"  processing went on {drained} s after the phase", flush=True)
                    phases.append(
                        {
                            "rate": rate,
                            "duration": duration,
                            "figures": asdict(figures),
                            "timeouts": timeouts,
                            "processing_after_phase_s": drained,
                        }
                    )
        finally:
            stop(children)
        emails = sink.sink.count
    print(f"customer emails received: {emails} of {total}", flush=True)
    return {"timeout_s": MOOTA_TIMEOUT_S, "phases": phases, "emails": emails, "sent": total}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=numbers, default=[100.0], help="e.g. 100,300")
    parser.add_argument("--durations", type=numbers, default=[15.0], help="seconds per rate")
    parser.add_argument("--out", type=Path, help="default bench/results/inline.json")
    args = parser.parse_args()
    durations = args.durations * len(args.rates) if len(args.durations) == 1 else args.durations
    if len(durations) != len(args.rates):
        parser.error("give one duration, or one per rate")
    workdir = Path(tempfile.mkdtemp(prefix="mootaflow-inline-"))
    try:
        result = await run_phases(args.rates, durations, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    write_result("inline", result, args.out)


if __name__ == "__main__":
    run_bench(main())
