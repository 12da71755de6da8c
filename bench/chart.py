"""Render the benchmark results (bench/results/*.json) as PNG charts in docs/bench/:
ack latency percentiles vs rate (mootaflow, bare start_workflow, minimal endpoint,
inline processing), e2e throughput vs the no-op baseline (paid and flagged paths) and
one payment's latency (webhook to paid, to email) vs a no-op workflow's. Each chart says when, on
what machine and at which commit its figures were measured.

    .venv/bin/python -m bench.chart
"""

import argparse
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from bench.results import RESULTS

DOCS = Path(__file__).resolve().parent.parent / "docs" / "bench"
COLOURS = {
    "mootaflow receiver": "tab:blue",
    "start_workflow (bare)": "tab:orange",
    "start_workflow (workers running them)": "tab:purple",
    "minimal HMAC endpoint": "tab:green",
    "minimal endpoint, synced commit": "yellowgreen",
    "minimal HMAC endpoint (stack working)": "darkgreen",
    "minimal endpoint, synced commit (stack working)": "olive",
    "inline processing": "tab:red",
}


def load(folder: Path, name: str) -> dict[str, Any] | None:
    path = folder / f"{name}.json"
    if not path.exists():
        print(f"no {path}: its chart is skipped or partial")
        return None
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def provenance(*documents: dict[str, Any] | None) -> str:
    """One caption line per result file: date, commit, machine."""
    lines = []
    for doc in documents:
        if doc is None:
            continue
        m = doc["machine"]
        lines.append(
            f"{doc['benchmark']}: {doc['date']}, commit {doc['commit']}, "
            f"{m['cpus']} CPUs {m['cpu_model']}, Python {m['python']}"
        )
    return "\n".join(lines)


# The same series on the bench's own stack: a colour each, none of the above.
BENCH_STACK_COLOURS = {
    "mootaflow receiver": "tab:cyan",
    "start_workflow (bare)": "tab:brown",
    "start_workflow (workers running them)": "tab:pink",
    "minimal HMAC endpoint": "tab:olive",
    "minimal endpoint, synced commit": "darkkhaki",
    "minimal HMAC endpoint (stack working)": "darkseagreen",
    "minimal endpoint, synced commit (stack working)": "khaki",
}
# The ack results: `mootaflow dev` as users run it, and the bench's own stack.
ACK_RESULTS = {"ack-dev-batch1": "dev", "ack-bench-batch1": "bench stack"}


def latency_series(
    acks: dict[str, dict[str, Any] | None], inline: dict[str, Any] | None
) -> dict[str, Any]:
    """name -> list of (rate, p50, p95, p99) in ms; names carry the stack they ran on."""
    series: dict[str, list[tuple[float, float, float, float]]] = {}
    for label, ack in acks.items():
        for phase in (ack or {}).get("phases", []):
            for f in phase["figures"]:
                series.setdefault(f"{label}: {f['name']}", []).append(
                    (f["rate"], f["p50_ms"], f["p95_ms"], f["p99_ms"])
                )
    for phase in (inline or {}).get("phases", []):
        f = phase["figures"]
        series.setdefault(f["name"], []).append((f["rate"], f["p50_ms"], f["p95_ms"], f["p99_ms"]))
    return {name: sorted(points) for name, points in series.items()}


def ack_chart(
    acks: dict[str, dict[str, Any] | None], inline: dict[str, Any] | None, out: Path
) -> None:
    series = latency_series(acks, inline)
    if not series:
        return
    fig, ax = plt.subplots(figsize=(12, 6))
    for name, points in series.items():
        rates = [p[0] for p in points]
        # The series' own name (without its stack), else its kind (without the shape).
        own = name.split(": ", 1)[-1]
        colours = BENCH_STACK_COLOURS if name.startswith("bench stack") else COLOURS
        colour = colours.get(own) or colours.get(own.split(" (")[0], "tab:gray")
        ax.plot(rates, [p[3] for p in points], "o-", color=colour, label=f"{name} p99")
        ax.plot(rates, [p[1] for p in points], "s--", color=colour, alpha=0.6, label=f"{name} p50")
    ax.axhline(5000, color="black", linestyle=":", linewidth=1)
    ax.text(ax.get_xlim()[1], 5000, "Moota's 5 s limit ", va="bottom", ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_xlabel("deliveries per second (open loop)")
    ax.set_ylabel("acknowledgement latency, ms (log scale)")
    ax.set_title("Webhook acknowledgement latency vs arrival rate")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    largest = next(
        (a["largest_delivery"] for a in acks.values() if a and "largest_delivery" in a), None
    )
    extra = (
        f"\nlargest delivery (100 mutations): p50 {largest['p50_ms']} ms, "
        f"max {largest['max_ms']} ms"
        if largest
        else ""
    )
    fig.text(0.01, 0.01, provenance(*acks.values(), inline) + extra, fontsize=7, va="bottom")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(f"chart written to {out}")


def e2e_paths(e2e: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(label, {mootaflow, baseline, ratio}) for each path the result has: the paid
    path's figures sit at the top level, the flagged path's under `flagged`."""
    paths = []
    if "mootaflow" in e2e:
        paths.append(("paid\n(webhook -> email)", e2e))
    if "flagged" in e2e:
        paths.append(("flagged, phase 2\n(approval -> email)", e2e["flagged"]))
    return paths


def e2e_chart(e2e: dict[str, Any] | None, out: Path) -> None:
    if e2e is None or not (paths := e2e_paths(e2e)):
        return
    goal = e2e.get("goal", 1.5)
    fig, ax = plt.subplots(figsize=(8, 5))
    width = 0.38
    top = 0.0
    for x, (_, path) in enumerate(paths):
        ours = path["mootaflow"]["per_second"] or 0
        theirs = path["baseline"]["per_second"] or 0
        labels = ["mootaflow (real activities)", "no-op workflow, regular activities"]
        bars = ax.bar(
            [x - width / 2, x + width / 2],
            [ours, theirs],
            width,
            color=["tab:blue", "tab:gray"],
            label=labels if x == 0 else None,
        )
        ax.bar_label(bars, fmt="%.1f/s")
        ax.hlines(goal * theirs, x - width, x + width, colors="black", linestyles=":")
        ax.text(x, goal * theirs, f"goal {goal:g}x baseline", ha="center", va="bottom", fontsize=8)
        top = max(top, ours, goal * theirs)
    ax.set_ylim(0, 1.4 * top or 1)
    ax.set_xticks(range(len(paths)), [f"{label}\nratio {path['ratio']}" for label, path in paths])
    ax.set_ylabel("payments fully processed per second")
    ax.set_title(
        f"End to end: {e2e.get('count', paths[0][1]['mootaflow']['count'])} payments "
        f"per path at {e2e['rate']:g}/s, same Temporal server"
    )
    ax.legend(fontsize=8, loc="upper left")
    fig.text(0.01, 0.01, provenance(e2e), fontsize=7, va="bottom")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(f"chart written to {out}")


def latency_chart(latency: dict[str, Any] | None, out: Path) -> None:
    if latency is None:
        return
    stack = "mootaflow dev" if latency["stack"] == "dev" else "bench stack"
    series = [
        (f"webhook -> paid\nwith invoice ({stack})", latency["webhook_to_paid"], "tab:blue"),
        (f"webhook -> customer\nemail ({stack})", latency["webhook_to_email"], "tab:purple"),
        ("no-op workflow\nstart -> end", latency["baseline"], "tab:gray"),
    ]
    width = 0.38
    fig, ax = plt.subplots(figsize=(8, 5))
    for x, (_, figures, colour) in enumerate(series):
        for offset, key, alpha in ((-width / 2, "p50_ms", 1.0), (width / 2, "p95_ms", 0.5)):
            value = figures[key] or 0
            bar = ax.bar(x + offset, value, width, color=colour, alpha=alpha)
            ax.bar_label(bar, labels=[f"{key[:3]} {value:.0f}"], fontsize=8)
    target = latency.get("target_email_p50_ms", 100)
    ax.axhline(target, color="black", linestyle=":", linewidth=1)
    ax.text(
        len(series) - 0.5,
        target,
        f"target: email p50 <= {target:g} ms",
        va="bottom",
        ha="right",
        fontsize=8,
    )
    ax.set_xticks(range(len(series)), [name for name, _, _ in series])
    ax.set_ylabel("ms (p50 solid, p95 light)")
    ax.set_title(f"One payment at a time: {latency['count']} payments, idle {stack}")
    fig.text(0.01, 0.01, provenance(latency), fontsize=7, va="bottom")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(f"chart written to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--out", type=Path, default=DOCS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    acks = {label: load(args.results, name) for name, label in ACK_RESULTS.items()}
    inline, e2e, latency = (load(args.results, name) for name in ("inline", "e2e", "latency"))
    ack_chart(acks, inline, args.out / "ack-latency.png")
    e2e_chart(e2e, args.out / "e2e-throughput.png")
    latency_chart(latency, args.out / "latency.png")


if __name__ == "__main__":
    main()
