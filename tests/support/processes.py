"""Running the real `mootaflow` command in a subprocess, without blocking the event loop."""

import asyncio
import contextlib
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

MOOTAFLOW = [sys.executable, "-m", "mootaflow.cli.main"]


@dataclass
class Completed:
    code: int
    stdout: str
    stderr: str


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without MOOTAFLOW_* settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOOTAFLOW_")}
    env.update(extra)
    return env


async def run_mootaflow(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60
) -> Completed:
    process = await asyncio.create_subprocess_exec(
        *MOOTAFLOW,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env if env is not None else clean_env(),
        cwd=cwd,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return Completed(process.returncode, stdout.decode(), stderr.decode())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def kill_group(process: asyncio.subprocess.Process) -> None:
    """SIGKILL the process started with start_new_session, and every child of it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


async def read_to_end(stream: asyncio.StreamReader, seconds: float) -> str:
    """What `stream` gives until it closes; on timeout, fails showing what came."""
    output = b""
    try:
        async with asyncio.timeout(seconds):
            while chunk := await stream.read(65536):
                output += chunk
    except TimeoutError:
        pytest.fail(f"still open after {seconds:g} s; so far:\n{output.decode(errors='replace')}")
    return output.decode(errors="replace")
