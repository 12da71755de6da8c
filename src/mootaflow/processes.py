"""Child processes: `mootaflow dev` and the benchmarks' throw-away stacks
(bench/stack.py) both supervise a Temporal server, workers and a receiver, and stop
them in order."""

import signal
import subprocess
from collections.abc import Iterable

STOP_TIMEOUT = 15.0
# The stack's worker processes. A payment's steps run their Python in one thread per
# process, so one worker keeps at most one core busy: on the README's 2-core machine
# a second one used the other core (README, Results, 2026-11-28 10:08).
DEV_WORKERS = 2


def worker_name(n: int) -> str:
    """Worker n's name among a stack's processes: worker, worker-2, worker-3, ..."""
    return "worker" if n == 1 else f"worker-{n}"


def stop_in_order(
    children: Iterable[subprocess.Popen[bytes]], timeout: float = STOP_TIMEOUT
) -> None:
    """SIGTERM each running child in turn; SIGKILL one that outlives `timeout`."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
