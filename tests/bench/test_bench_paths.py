"""The pure parts of bench/e2e (both paths) and bench/latency: what they send, how they
count, and how their charts read results with parts missing."""

import json
import os
import time
from decimal import Decimal

import pytest
from aiosmtpd.smtp import Envelope
from bench.chart import e2e_paths
from bench.e2e_flagged import approval
from bench.e2e_parts import CpuMeter, ratio, throughput
from bench.latency import summary
from bench.payloads import transfer
from bench.smtp_sink import Sink, SmtpSink

from bench import steps
from mootaflow.domain.decisions import read_request
from mootaflow.domain.moota import load_delivery, parse_delivery


def test_a_transfer_is_a_moota_delivery_mootaflow_accepts():
    body = transfer("m-1", Decimal("124321"), note="bayar pesanan MF-ABCD1234")
    assert b"\\/" in body  # PHP's escaping, as Moota sends it
    parsed = parse_delivery(load_delivery(body))
    assert parsed.quarantined == []
    [accepted] = parsed.accepted
    assert accepted.mutation.mutation_id == "m-1"
    assert accepted.mutation.amount == Decimal("124321")
    assert accepted.mutation.note == "bayar pesanan MF-ABCD1234"


def test_the_bench_approval_is_a_valid_decision():
    payload = {**json.loads(approval("MF-ABCD1234")), "by": "bench"}
    request = read_request("approve", payload)
    assert request.order_ref == "MF-ABCD1234"
    assert request.difference == "accept"


def test_ratio_and_throughput():
    assert ratio(15.0, 10.0) == 1.5
    assert ratio(None, 10.0) is None
    assert ratio(5.0, 0.0) is None
    figures = throughput(count=10, completed=8, first=100.0, last=104.0)
    assert figures == {"count": 10, "completed": 8, "seconds": 4.0, "per_second": 2.0}
    assert throughput(count=1, completed=0, first=5.0, last=5.0)["per_second"] is None


def _spin(seconds: float) -> int:
    """Use `seconds` of this thread's CPU (not a sleep: the meter counts CPU); the loop's turns."""
    busy_until, spins = time.process_time() + seconds, 0
    while time.process_time() < busy_until:
        spins += 1
    return spins


def test_cpu_meter_counts_a_process_cpu_per_item():
    meter = CpuMeter({"me": os.getpid()})
    _spin(0.2)
    # 200 ms over 10 items, counted in the kernel's 10 ms ticks (and this process's
    # other threads, if any ran).
    per_item = meter.per_item_ms(10)
    assert 19 <= per_item["me"] <= 100
    assert per_item["bench"] == per_item["me"]  # this process, always counted as "bench"


def test_cpu_meter_tells_busy_cores_from_waiting():
    busy = CpuMeter({})
    _spin(0.2)
    spun = busy.cores()
    waiting = CpuMeter({})
    time.sleep(0.2)
    slept = waiting.cores()
    # One thread spinning: at most one core (10 ms ticks: a little over), less on a
    # machine busy with others; sleeping, next to nothing.
    assert 0.1 <= spun <= 1.3
    assert slept < spun / 2


def test_latency_summary():
    values = [float(v) for v in range(1, 21)]
    assert summary(values) == {"count": 20, "p50_ms": 10.0, "p95_ms": 19.0, "max_ms": 20.0}
    assert summary([]) == {"count": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}
    assert summary([1.26])["max_ms"] == 1.3


async def test_the_sink_tells_runs_apart_by_recipient():
    sink = Sink()
    for address in ("paid-ab-1@example.com", "flagged-ab-1@example.com") * 2:
        envelope = Envelope()
        envelope.rcpt_tos = [address]
        await sink.handle_DATA(None, None, envelope)  # type: ignore[arg-type]
    assert sink.count == 4
    assert len(sink.arrived("paid-ab-")) == 1
    # A second message to the same customer is not a second payment.
    assert len(sink.arrived("flagged-ab-")) == 1


def test_e2e_chart_reads_either_path_alone():
    paid = {"mootaflow": {"per_second": 3}, "baseline": {"per_second": 2}, "ratio": 1.5}
    assert [label for label, _ in e2e_paths(paid)] == ["paid\n(webhook -> email)"]
    flagged_only = {"flagged": paid}
    assert e2e_paths(flagged_only) == [("flagged, phase 2\n(approval -> email)", paid)]
    assert e2e_paths({"rate": 1}) == []


@pytest.mark.parametrize("path", ["paid", "flagged"])
async def test_steps_bench_pays_each_payment_and_counts_its_statements(tmp_path, path):
    with SmtpSink() as sink:
        result = await steps.measure(3, tmp_path, sink, path)
    assert result["path"] == path
    assert result["count"] == 3 and result["cpu_ms_per_payment"] > 0
    # Booking, invoicing and telling the customer take SQL; each email reached the sink.
    assert result["statements_per_payment"] > 10
    assert len(sink.sink.arrived("steps-")) == 3 + steps.WARMUP
