"""The receiver's own account of a phase, from its /metrics: how long it took to
acknowledge, and the parts of the inbox transaction each acknowledgement waits for
(begin, statements, commit), as the change of each histogram over the phase.

The client's latency also holds what the receiver cannot see (the socket, the event
loop's queue); the commit holds the disk's sync. Set side by side, they say where an
acknowledgement's tail comes from.
"""

from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families

ACK = "mootaflow_webhook_ack_seconds"
PARTS = "mootaflow_inbox_transaction_seconds"
SERIES = ("ack", "begin", "statements", "commit")
# Bounds of both histograms' buckets (receiver/metrics.py), in seconds.
OVER = (0.005, 0.01)


@dataclass
class Histogram:
    count: float = 0.0
    total: float = 0.0
    buckets: dict[float, float] = field(default_factory=dict)  # upper bound -> cumulative

    def minus(self, earlier: "Histogram") -> "Histogram":
        return Histogram(
            self.count - earlier.count,
            self.total - earlier.total,
            {le: n - earlier.buckets.get(le, 0.0) for le, n in self.buckets.items()},
        )

    def summary(self) -> dict[str, float]:
        """Count, mean, the bucket bound under which 50% and 99% fall, and the share
        over each of OVER (ms and %)."""
        if not self.count or not self.buckets:
            return {"count": 0}
        bounds = sorted(self.buckets)
        figures = {"count": self.count, "mean_ms": round(self.total / self.count * 1000, 2)}
        for q in (0.5, 0.99):
            bound = next(le for le in bounds if self.buckets[le] >= q * self.count)
            figures[f"p{q * 100:g}_at_most_ms"] = bound * 1000
        for limit in OVER:
            over = self.count - self.buckets.get(limit, self.count)
            figures[f"over_{limit * 1000:g}ms_pct"] = round(over / self.count * 100, 2)
        return figures


def histograms(text: str) -> dict[str, Histogram]:
    """The acknowledgement's histogram and each inbox transaction part's, by series."""
    found: dict[str, Histogram] = {}
    for family in text_string_to_metric_families(text):
        if family.name not in (ACK, PARTS):
            continue
        for sample in family.samples:
            series = sample.labels.get("part", "ack")
            histogram = found.setdefault(series, Histogram())
            if sample.name.endswith("_bucket"):
                histogram.buckets[float(sample.labels["le"])] = sample.value
            elif sample.name.endswith("_count"):
                histogram.count = sample.value
            elif sample.name.endswith("_sum"):
                histogram.total = sample.value
    return found


async def scrape(webhook_url: str) -> dict[str, Histogram] | None:
    """The receiver's histograms now; None if it has no /metrics to read."""
    url = httpx.URL(webhook_url).copy_with(path="/metrics", query=None)
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(url)
    except httpx.HTTPError:
        return None
    return histograms(response.text) if response.status_code == 200 else None


def account(
    before: dict[str, Histogram] | None, after: dict[str, Histogram] | None
) -> dict[str, dict[str, float]]:
    """Each series' summary over the phase between the two scrapes."""
    if before is None or after is None:
        return {}
    return {
        series: after[series].minus(before.get(series, Histogram())).summary()
        for series in SERIES
        if series in after
    }


def describe(figures: dict[str, dict[str, float]]) -> str:
    lines = ["  the receiver's account (from /metrics; p50/p99 as bucket bounds):"]
    for series, f in figures.items():
        if not f.get("count"):
            continue
        name = "acknowledgement" if series == "ack" else f"inbox transaction: {series}"
        lines.append(
            f"    {name:<32} n {f['count']:>6.0f}  mean {f['mean_ms']:>6.2f} ms  "
            f"p50 <= {f['p50_at_most_ms']:g} ms  p99 <= {f['p99_at_most_ms']:g} ms  "
            f"over 5 ms {f['over_5ms_pct']:.1f}%  over 10 ms {f['over_10ms_pct']:.1f}%"
        )
    return "\n".join(lines)
