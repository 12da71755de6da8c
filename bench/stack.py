"""A complete, throw-away mootaflow stack for benchmarks: the Temporal dev server
(headless), a worker and a receiver, each a separate process, with all state in a fresh
temporary folder and on free ports, so a run never touches ./var or another stack.

    async with bench_stack(smtp=("127.0.0.1", 2525)) as stack:
        ...  # stack.webhook_url, stack.temporal_address, stack.database_url, stack.pids

Leaving the block (normally, by an exception or Ctrl-C) stops everything: receiver first
(stop accepting), then the worker, then Temporal; the children also die with this
process if it is killed outright (PR_SET_PDEATHSIG).
"""

import asyncio
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Coroutine, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvloop

from mootaflow.domain.settings import Settings
from mootaflow.processes import DEV_WORKERS, stop_in_order, worker_name
from mootaflow.temporal.client import connect
from mootaflow.temporal.devserver import dev_server_command
from mootaflow.temporal.setup import MIN_RETENTION, ensure_namespace

STARTUP_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0
_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    # Runs in the child before exec: a SIGKILLed bench must not leave servers behind.
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(
    command: list[str], env: Mapping[str, str], log: Path, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """A child in its own session (Ctrl-C reaches only us; we stop children in order)."""
    with log.open("ab") as output:
        return subprocess.Popen(  # noqa: S603 (our own binaries)
            command,
            env=dict(env),
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )


def stop(children: Mapping[str, subprocess.Popen[bytes]]) -> None:
    """SIGTERM each child in the given order, SIGKILL after STOP_TIMEOUT."""
    stop_in_order(children.values(), STOP_TIMEOUT)


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Stack:
    workdir: Path
    receiver_url: str  # http://127.0.0.1:PORT
    temporal_address: str
    database_url: str
    env: dict[str, str]
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # Processes a child started (`mootaflow dev`'s worker and receiver).
    others: dict[str, int] = field(default_factory=dict)

    @property
    def webhook_url(self) -> str:
        return f"{self.receiver_url}/webhooks/moota"

    @property
    def pids(self) -> dict[str, int]:
        """For attaching a profiler, e.g. `py-spy record --pid PID`."""
        return {name: child.pid for name, child in self.children.items()} | self.others

    def check_alive(self) -> None:
        for name, child in self.children.items():
            if child.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with status {child.returncode}; last lines of its log:\n"
                    + tail(self.workdir / f"{name}.log")
                )


def smtp_env(smtp: tuple[str, int] | None) -> dict[str, str]:
    """Emails to a plain SMTP server on (host, port); none: emails become files."""
    if smtp is None:
        return {}
    host, port = smtp
    return {
        "MOOTAFLOW_SMTP_HOST": host,
        "MOOTAFLOW_SMTP_PORT": str(port),
        "MOOTAFLOW_SMTP_SECURITY": "none",
    }


def stack_env(
    workdir: Path,
    temporal_address: str,
    receiver_port: int,
    smtp: tuple[str, int] | None,
    overrides: Mapping[str, str],
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "MOOTAFLOW_ENV": "dev",
            "MOOTAFLOW_RATE_LIMIT_PER_SECOND": "0",
            "MOOTAFLOW_LOG_LEVEL": "WARNING",
            "MOOTAFLOW_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'mootaflow.db'}",
            "MOOTAFLOW_TEMPORAL_ADDRESS": temporal_address,
            "MOOTAFLOW_RECEIVER_HOST": "127.0.0.1",
            "MOOTAFLOW_RECEIVER_PORT": str(receiver_port),
            # Without SMTP, emails become files: keep them in the throw-away folder.
            "MOOTAFLOW_OUTBOX_DIR": str(workdir / "outbox"),
        }
    )
    env.update(smtp_env(smtp))
    env.update(overrides)
    return env


async def wait_for_temporal(address: str, server: subprocess.Popen[bytes]) -> None:
    """Until the dev server answers and the namespace has mootaflow's retention, as
    `mootaflow dev` does (search attributes come from the dev server's command line)."""
    settings = Settings(temporal_address=address)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the Temporal dev server exited during start-up")
        try:
            client = await connect(settings)
            await ensure_namespace(client, settings.temporal_namespace, MIN_RETENTION)
            return
        except Exception:
            await asyncio.sleep(0.5)
    raise RuntimeError(f"Temporal did not answer on {address} within {STARTUP_TIMEOUT:.0f} s")


async def wait_ready(stack: Stack) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    async with httpx.AsyncClient(timeout=3) as http:
        while time.monotonic() < deadline:
            stack.check_alive()
            with suppress(httpx.HTTPError):  # not listening yet
                if (await http.get(f"{stack.receiver_url}/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.3)
    raise RuntimeError(f"the receiver was not ready within {STARTUP_TIMEOUT:.0f} s")


@asynccontextmanager
async def bench_stack(
    *,
    smtp: tuple[str, int] | None = None,
    overrides: Mapping[str, str] | None = None,
    keep: bool = False,
    workers: int = DEV_WORKERS,
) -> AsyncIterator[Stack]:
    """Start the stack; `overrides` are extra MOOTAFLOW_* variables for worker and receiver;
    `workers` worker processes polling the same task queue ("worker", "worker-2", ...)."""
    workdir = Path(tempfile.mkdtemp(prefix="mootaflow-bench-"))
    temporal_address = f"127.0.0.1:{free_port()}"
    receiver_port = free_port()
    env = stack_env(workdir, temporal_address, receiver_port, smtp, overrides or {})
    stack = Stack(
        workdir=workdir,
        receiver_url=f"http://127.0.0.1:{receiver_port}",
        temporal_address=temporal_address,
        database_url=env["MOOTAFLOW_DATABASE_URL"],
        env=env,
    )
    me = [sys.executable, "-m", "mootaflow.cli.main"]
    try:
        port = int(temporal_address.rsplit(":", 1)[1])
        command = dev_server_command(workdir / "temporal.db", port=port, ui_port=None)
        stack.children["temporal"] = spawn(command, env, workdir / "temporal.log")
        await wait_for_temporal(temporal_address, stack.children["temporal"])
        for n in range(1, workers + 1):
            name = worker_name(n)
            stack.children[name] = spawn([*me, "worker"], env, workdir / f"{name}.log")
        stack.children["receiver"] = spawn([*me, "receiver"], env, workdir / "receiver.log")
        await wait_ready(stack)
        yield stack
    finally:
        # Reverse order of start: stop accepting first, Temporal last.
        stop({name: stack.children[name] for name in reversed(list(stack.children))})
        if keep:
            print(f"stack logs and data kept in {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run_bench(main: Coroutine[Any, Any, None]) -> None:
    """asyncio.run with SIGTERM handled like Ctrl-C: the main task is cancelled, so each
    `finally` runs and the stack is stopped instead of left behind."""

    async def guarded() -> None:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        await main

    try:
        uvloop.run(guarded())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted; everything this run started is stopped", file=sys.stderr)
        sys.exit(130)


def child_pids(pid: int) -> list[int]:
    """The direct children of `pid` (Linux)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(part) for part in text.split()]


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@asynccontextmanager
async def dev_stack(
    keep: bool = False, smtp: tuple[str, int] | None = None
) -> AsyncIterator[Stack]:
    """`mootaflow dev` as a user starts it, in a fresh folder on free ports: the system
    the README tells users to run. Only the rate limit is off (Moota sends from one
    address; 300/s is above dev's default 200/s), and with `smtp` emails go to that
    server (as a user's MOOTAFLOW_SMTP_* would send them) instead of files."""
    workdir = Path(tempfile.mkdtemp(prefix="mootaflow-bench-dev-"))
    port, temporal_port = free_port(), free_port()
    env = dict(os.environ)
    env.pop("MOOTAFLOW_LOG_LEVEL", None)
    env["MOOTAFLOW_RATE_LIMIT_PER_SECOND"] = "0"
    env.update(smtp_env(smtp))
    stack = Stack(
        workdir=workdir,
        receiver_url=f"http://127.0.0.1:{port}",
        temporal_address=f"127.0.0.1:{temporal_port}",
        database_url=f"sqlite+aiosqlite:///{workdir / 'var' / 'mootaflow.db'}",
        env=env,
    )
    command = [sys.executable, "-m", "mootaflow.cli.main", "dev", "--port", str(port)]
    command += ["--temporal-port", str(temporal_port), "--ui-port", str(free_port())]
    try:
        stack.children["dev"] = spawn(command, env, workdir / "dev.log", cwd=workdir)
        await wait_ready(stack)
        # Its children (Temporal, workers, receiver): for the idle check and profilers.
        dev = stack.children["dev"].pid
        for pid in child_pids(dev):
            words = command_line(pid).split()
            if "temporal" in words[0]:
                stack.others["temporal"] = pid
            elif words[-1] == "receiver":
                stack.others["receiver"] = pid
            elif words[-1] == "worker":
                workers = sum(name.startswith("worker") for name in stack.others)
                stack.others[worker_name(workers + 1)] = pid
        yield stack
    finally:
        stop(stack.children)
        if keep:
            print(f"dev stack logs and data kept in {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
