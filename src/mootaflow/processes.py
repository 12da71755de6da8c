"""Stopping child processes in order: `mootaflow dev` and the benchmarks' throw-away
stacks (bench/stack.py) both supervise a Temporal server, a worker and a receiver."""

import signal
import subprocess
from collections.abc import Iterable

STOP_TIMEOUT = 15.0


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
