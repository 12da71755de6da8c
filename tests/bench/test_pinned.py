"""bench/pinned: which processes move, and that every thread of one moves."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.ack import dev_up
from bench.pinned import on_dev_stack, pin, stack_pids, start_loads

SLEEPER = (
    "import threading, time; "
    "threading.Thread(target=time.sleep, args=(30,)).start(); time.sleep(30)"
)


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A process with two threads; its command line names bench.start_load."""
    process = subprocess.Popen([sys.executable, "-c", SLEEPER, "bench.start_load"])
    try:
        for _ in range(100):
            if len(os.listdir(f"/proc/{process.pid}/task")) == 2:
                break
            time.sleep(0.05)
        yield process
    finally:
        process.kill()
        process.wait()


def test_it_reads_the_stacks_processes_from_bench_acks_line() -> None:
    pids = {"dev": 10, "temporal": 11, "receiver": 14}
    assert stack_pids(dev_up(Path("var/dev"), pids) + "\n") == pids
    assert stack_pids("== 100/s: bare start_workflow\n") is None


def test_it_runs_on_mootaflow_dev_only() -> None:
    assert on_dev_stack(["--stack", "dev", "--rates", "100"])
    assert on_dev_stack(["--rates", "100", "--stack=dev"])
    assert not on_dev_stack(["--stack", "bench"])  # its processes are named otherwise
    assert not on_dev_stack(["--rates", "100"])


def test_it_moves_every_thread_of_a_process(sleeper: subprocess.Popen[bytes]) -> None:
    cpu = max(os.sched_getaffinity(0))
    assert pin(sleeper.pid, [cpu])
    threads = [int(tid) for tid in os.listdir(f"/proc/{sleeper.pid}/task")]
    assert len(threads) == 2
    assert all(os.sched_getaffinity(tid) == {cpu} for tid in threads)


def test_a_process_gone_is_reported() -> None:
    assert not pin(2**22 + 1, [0])  # above Linux's largest pid_max: no such process


def test_it_finds_the_start_load_processes(sleeper: subprocess.Popen[bytes]) -> None:
    assert sleeper.pid in start_loads()
