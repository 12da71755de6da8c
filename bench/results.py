"""Result files: every benchmark writes its figures with the facts needed to judge them
(when, on what machine, at which commit), so a chart can say where its numbers came from."""

import contextlib
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parent.parent


def cpu_model() -> str:
    with contextlib.suppress(OSError):  # not Linux
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "src"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    # Figures measured on uncommitted src changes must not pass for the commit's.
    return done.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def write_result(name: str, figures: dict[str, Any], out: Path | None = None) -> Path:
    """Write `figures` plus date, machine and commit to bench/results/<name>.json."""
    path = out or RESULTS / f"{name}.json"
    document = {
        "benchmark": name,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "machine": machine(),
        "argv": sys.argv[1:],
        **figures,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(f"figures written to {path}", flush=True)
    return path
