"""bench/profile_summary: where a process's time went, by part, from a py-spy raw profile.

    py-spy record --pid PID --duration 30 --rate 100 --gil --format raw -o worker.raw
    .venv/bin/python -m bench.profile_summary worker.raw

With --gil only samples holding the GIL count (Python at work, not waiting). A sample
counts for every part whose marker is somewhere in its stack, so parts may overlap.
SQLAlchemy's async session runs its work in greenlets, whose stacks do not show the
activity that asked for it: an activity's SQL counts under SQLAlchemy only.
"""

import argparse
from collections import Counter
from pathlib import Path

# part: a text found in the stack's frames (file or function)
PARTS = {
    "activities (the steps' own code; their SQL is below)": "_handle_start_activity_task",
    "SQLAlchemy (ORM and Core)": "sqlalchemy/",
    "aiosqlite (hops to its thread)": "aiosqlite/",
    "workflow sandbox (new runs, activations)": "workflow_sandbox/",
    "workflow code and SDK activation": "_WorkflowInstanceImpl.activate",
    "payload visitors (SDK)": "_visitor.py",
    "invoice PDF (fpdf2)": "fpdf/",
    "email building (stdlib email)": "email/",
    "SMTP (aiosmtplib)": "aiosmtplib/",
    "logging": "logging/__init__.py",
    "event loop idle (select)": "select (selectors.py",
}


def summarize(raw: Path) -> str:
    total = 0
    parts: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        for part, marker in PARTS.items():
            if marker in stack:
                parts[part] += int(count)
    lines = [f"{total} samples"]
    lines += [f"{n / total:6.1%}  {part}" for part, n in parts.most_common()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path, help="py-spy record --format raw output")
    print(summarize(parser.parse_args().raw))


if __name__ == "__main__":
    main()
