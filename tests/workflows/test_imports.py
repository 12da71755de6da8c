"""Workflows never import the database, HTTP, SMTP or PDF code: the sandbox would load
it for every run, and a workflow that can reach it can be tempted to use it."""

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from mootaflow.temporal.client import DATA_CONVERTER
from mootaflow.workflows.payment import PaymentWorkflow

HISTORIES = Path(__file__).parent / "histories"
FORBIDDEN = ("sqlalchemy", "sqlmodel", "alembic", "httpx", "aiosmtplib", "fpdf", "asyncpg")


@pytest.mark.parametrize("module", ["mootaflow.workflows.payment", "mootaflow.workflows.retention"])
def test_importing_a_workflow_loads_no_io_library(module: str) -> None:
    code = f"import sys, {module}\nprint(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", f"{module} loaded {done.stdout.strip()}"


async def test_a_run_loads_again_only_the_workflow_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox runs the workflow's own modules again for every run; the pure ones they
    import (retries, patches, search attributes, contracts, domain) are passed through.
    (`from mootaflow.workflows import retries` would run retries again each time.)"""
    executed: list[str] = []
    exec_module = importlib._bootstrap_external._LoaderBasics.exec_module  # type: ignore[attr-defined]

    def traced(loader: Any, module: ModuleType) -> None:
        executed.append(module.__name__)
        exec_module(loader, module)

    history = WorkflowHistory.from_json("paid", (HISTORIES / "settle_paid.json").read_text())
    replayer = Replayer(workflows=[PaymentWorkflow], data_converter=DATA_CONVERTER)
    await replayer.replay_workflow(history)  # what the process loads once, loaded
    monkeypatch.setattr(importlib._bootstrap_external._LoaderBasics, "exec_module", traced)  # type: ignore[attr-defined]
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
    ours = {name for name in executed if name.split(".")[0] == "mootaflow"}
    workflow_code = {"mootaflow", "mootaflow.workflows"} | {
        f"mootaflow.workflows.{name}" for name in ("payment", "payment_legacy", "payment_steps")
    }
    assert "mootaflow.workflows.payment" in ours, "the sandbox loaded nothing: the trace is broken"
    assert ours <= workflow_code
