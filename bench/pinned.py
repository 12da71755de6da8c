"""bench/pinned: bench/ack with the receiver on a CPU of its own (Linux).

    .venv/bin/python -m bench.pinned --stack dev --rates 100 --durations 30 --shapes moota

Runs `python -m bench.ack ARGS` on the first CPU this process may use: its load
client, its minimal endpoints and, through `mootaflow dev`, the receiver inherit it.
Once the stack is up, its Temporal server and workers move to the other CPUs, and
so does each `bench.start_load` process (the "workers running them" starts) as it
appears. What it answers: is the acknowledgement's tail the CPU the work takes?
(README, Results, 2026-11-29 01:55.)
"""

import ast
import contextlib
import itertools
import os
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

from bench.ack import DEV_UP

# The stack's processes that keep the receiver's CPU (the receiver itself).
STAYS = {"receiver"}
START_LOAD = b"bench.start_load"


def stack_pids(line: str) -> dict[str, int] | None:
    """The stack's processes by name, from bench/ack's line saying it is up (ack.dev_up)."""
    if not line.startswith(DEV_UP) or "; pids " not in line:
        return None
    pids = ast.literal_eval(line.split("; pids ", 1)[1].strip())
    return {str(name): int(pid) for name, pid in pids.items()}


def on_dev_stack(args: list[str]) -> bool:
    """Whether bench/ack's arguments ask for `mootaflow dev`, whose processes this moves."""
    pairs = itertools.pairwise(args)
    return "--stack=dev" in args or any(pair == ("--stack", "dev") for pair in pairs)


def pin(pid: int, cpus: Iterable[int]) -> bool:
    """Every thread of `pid` onto `cpus`; False if the process is gone."""
    try:
        threads = [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except FileNotFoundError:
        return False
    for tid in threads:
        with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
            os.sched_setaffinity(tid, set(cpus))
    return True


def start_loads() -> list[int]:
    """The bench.start_load processes running now."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if START_LOAD in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue  # ended meanwhile
    return found


def main() -> int:
    args = sys.argv[1:]
    if "-h" in args or "--help" in args:
        print(__doc__)
        return 0
    if not on_dev_stack(args):
        print("bench.pinned: give bench/ack's arguments, --stack dev among them")
        return 2
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        print("bench.pinned needs two CPUs or more")
        return 2
    own, others = cpus[:1], cpus[1:]
    os.sched_setaffinity(0, own)  # bench.ack and all it starts inherit it
    ack = subprocess.Popen(  # noqa: S603 (our own command line)
        [sys.executable, "-m", "bench.ack", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    done = threading.Event()

    def follow_start_loads() -> None:
        moved: set[int] = set()
        while not done.wait(0.1):
            for pid in set(start_loads()) - moved:
                if pin(pid, others):
                    moved.add(pid)
                    print(f"bench.pinned: start load {pid} on CPUs {others}", flush=True)

    follower = threading.Thread(target=follow_start_loads, daemon=True)
    follower.start()
    assert ack.stdout is not None
    for line in ack.stdout:
        print(line, end="", flush=True)
        if (pids := stack_pids(line)) is not None:
            moved = {name: pid for name, pid in pids.items() if name not in STAYS}
            for pid in moved.values():
                pin(pid, others)
            print(f"bench.pinned: {sorted(moved)} on CPUs {others}; the rest on {own}", flush=True)
    done.set()
    return ack.wait()


if __name__ == "__main__":
    sys.exit(main())
