"""Open-loop load generation: requests go out on a fixed schedule, whatever the replies do,
so queueing shows up as latency (no coordinated omission: latency counts from the
scheduled send time)."""

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

MOOTA_LIMIT_MS = 5000.0


@dataclass
class Figures:
    name: str
    rate: float
    duration: float
    sent: int
    errors: int
    achieved_rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    # Replies later than Moota's 5 s limit, counted from the scheduled send time.
    over_5s: int = 0
    first_error: str = ""


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


async def open_loop(
    name: str, rate: float, duration: float, call: Callable[[int], Awaitable[bool]]
) -> Figures:
    """Call `call(i)` at `rate` per second for `duration` seconds; True means success,
    False or an exception an error (the first exception is kept, to say what went wrong)."""
    count = int(rate * duration)
    latencies: list[float] = []
    errors = 0
    first_error = ""
    start = time.perf_counter() + 0.1

    async def one(i: int) -> None:
        nonlocal errors, first_error
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            ok = await call(i)
        except Exception as exc:
            ok = False
            first_error = first_error or f"{type(exc).__name__}: {exc}"[:200]
        latencies.append(time.perf_counter() - scheduled)
        if not ok:
            errors += 1

    await asyncio.gather(*(one(i) for i in range(count)))
    elapsed = time.perf_counter() - start
    ms = [value * 1000 for value in latencies]
    return Figures(
        name=name,
        rate=rate,
        duration=duration,
        sent=count,
        errors=errors,
        achieved_rate=round(count / elapsed, 1),
        p50_ms=round(percentile(ms, 0.50), 2),
        p95_ms=round(percentile(ms, 0.95), 2),
        p99_ms=round(percentile(ms, 0.99), 2),
        max_ms=round(max(ms, default=math.nan), 2),
        over_5s=sum(1 for value in ms if value > MOOTA_LIMIT_MS),
        first_error=first_error,
    )


def report(figures: list[Figures]) -> None:
    for f in figures:
        print(
            f"{f.name:<22} rate {f.rate:>6.0f}/s  achieved {f.achieved_rate:>6.1f}/s  "
            f"p50 {f.p50_ms:>8.2f} ms  p95 {f.p95_ms:>8.2f} ms  p99 {f.p99_ms:>8.2f} ms  "
            f"max {f.max_ms:>8.2f} ms  errors {f.errors}"
            + (f"  over 5 s {f.over_5s}" if f.over_5s else "")
            + (f" (first: {f.first_error})" if f.first_error else ""),
            flush=True,
        )
