"""The receiver's account of a phase: the change of its histograms between two scrapes
of /metrics, read from the text the receiver serves."""

from bench.receiver_account import account, describe, histograms
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from mootaflow.receiver.metrics import ACK_BUCKETS, PART_BUCKETS


def receiver_metrics() -> tuple[CollectorRegistry, Histogram, Histogram]:
    """Histograms named and bucketed as the receiver's, in a registry of their own."""
    registry = CollectorRegistry()
    ack = Histogram("mootaflow_webhook_ack_seconds", "", registry=registry, buckets=ACK_BUCKETS)
    parts = Histogram(
        "mootaflow_inbox_transaction_seconds", "", ["part"], registry=registry,
        buckets=PART_BUCKETS,
    )  # fmt: skip
    return registry, ack, parts


def test_the_account_counts_only_what_the_phase_added():
    registry, ack, parts = receiver_metrics()
    for _ in range(50):  # before the phase: slow, and not to be counted
        ack.observe(0.5)
        parts.labels("commit").observe(0.2)
    before = histograms(generate_latest(registry).decode())

    for _ in range(98):
        ack.observe(0.004)
        parts.labels("begin").observe(0.0004)
        parts.labels("statements").observe(0.0015)
        parts.labels("commit").observe(0.0008)
    for _ in range(2):  # the tail: two syncs that waited for the disk
        ack.observe(0.018)
        parts.labels("begin").observe(0.0004)
        parts.labels("statements").observe(0.0015)
        parts.labels("commit").observe(0.012)
    figures = account(before, histograms(generate_latest(registry).decode()))

    assert figures["ack"]["count"] == 100
    assert figures["ack"]["p50_at_most_ms"] == 5
    assert figures["ack"]["p99_at_most_ms"] == 20
    assert figures["ack"]["over_10ms_pct"] == 2.0
    assert figures["commit"]["count"] == 100
    assert figures["commit"]["p50_at_most_ms"] == 1
    assert figures["commit"]["over_10ms_pct"] == 2.0
    assert figures["commit"]["mean_ms"] == round((98 * 0.8 + 2 * 12) / 100, 2)
    assert figures["statements"]["over_5ms_pct"] == 0.0
    assert "inbox transaction: commit" in describe(figures)


def test_no_account_without_metrics_to_read():
    registry, _, _ = receiver_metrics()
    scraped = histograms(generate_latest(registry).decode())
    assert account(None, scraped) == {}
    assert account(scraped, None) == {}
