"""The arithmetic and bookkeeping of the benchmarks: percentiles, open-loop scheduling
(latency counted from the scheduled send, so queueing shows), result files."""

import asyncio
import json
import math

from bench.loadgen import open_loop, percentile
from bench.probe import Loss
from bench.results import write_result


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    assert percentile([7.0], 0.99) == 7
    assert math.isnan(percentile([], 0.5))


async def test_open_loop_counts_queueing_from_the_scheduled_time():
    # One slow call holds a lock the next calls need: open loop keeps sending on
    # schedule, so the waiting shows as latency of the later calls.
    lock = asyncio.Lock()

    async def call(i: int) -> bool:
        async with lock:
            await asyncio.sleep(0.2 if i == 0 else 0.0)
        if i == 3:
            raise RuntimeError("boom")
        return i != 4

    figures = await open_loop("test", rate=50, duration=0.1, call=call)
    assert figures.sent == 5
    assert figures.errors == 2
    assert figures.first_error == "RuntimeError: boom"
    # Call 4 was scheduled 80 ms in, and could only finish after call 0's 200 ms.
    assert figures.max_ms >= 100
    assert figures.over_5s == 0


def test_loss_counts_each_missing_mutation_once():
    assert Loss(sent=10, no_inbox_row=2, not_started=1, workflows=7).lost == 3
    assert Loss(sent=10, no_inbox_row=0, not_started=0, workflows=None).lost == 0
    assert Loss(sent=10, no_inbox_row=0, not_started=0, workflows=6).lost == 4


def test_result_file_says_when_where_and_at_which_commit(tmp_path):
    path = write_result("unit", {"figures": [1, 2]}, tmp_path / "unit.json")
    document = json.loads(path.read_text())
    assert document["benchmark"] == "unit"
    assert document["figures"] == [1, 2]
    assert document["commit"]
    assert document["date"].endswith("UTC")
    assert document["machine"]["cpus"] >= 1
    assert document["machine"]["python"].count(".") == 2
