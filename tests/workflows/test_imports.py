"""Workflows never import the database, HTTP, SMTP or PDF code: the sandbox would load
it for every run, and a workflow that can reach it can be tempted to use it."""

import subprocess
import sys

import pytest

FORBIDDEN = ("sqlalchemy", "sqlmodel", "alembic", "httpx", "aiosmtplib", "fpdf", "asyncpg")


@pytest.mark.parametrize("module", ["mootaflow.workflows.payment", "mootaflow.workflows.retention"])
def test_importing_a_workflow_loads_no_io_library(module: str) -> None:
    code = f"import sys, {module}\nprint(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", f"{module} loaded {done.stdout.strip()}"
