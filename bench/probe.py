"""Looking at a running stack from outside: the receiver's backlog, whether the worker has
gone quiet, and whether every sent mutation made it (inbox row and workflow).

Phases of a benchmark must not load each other, so each waits until the stack is quiet:
no inbox row waiting for its workflow start, and the worker, Temporal and the receiver
using (almost) no CPU. CPU is the one idle signal that does not depend on the workflow's
shape (flagged payments wait for finance for days and stay "running")."""

import asyncio
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import col
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from mootaflow.domain.moota import workflow_id_for
from mootaflow.domain.settings import Settings
from mootaflow.store.tables import InboxMutation

_TICKS = os.sysconf("SC_CLK_TCK")
# Below this share of one core per process, a process counts as idle.
IDLE_CPU = 0.05


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime are fields 14 and 15 of stat(5); index 11/12 after the name.
    return (int(fields[11]) + int(fields[12])) / _TICKS


async def busiest_cpu(pids: Iterable[int], window: float = 1.0) -> float:
    """The highest CPU use (cores) among `pids` over `window` seconds."""
    pids = list(pids)
    before = [cpu_seconds(pid) for pid in pids]
    await asyncio.sleep(window)
    return max(
        ((cpu_seconds(pid) - b) / window for pid, b in zip(pids, before, strict=True)),
        default=0.0,
    )


def inbox_url(database_url: str) -> str:
    """The receiving database of a stack whose MOOTAFLOW_DATABASE_URL is `database_url`
    (on SQLite a file beside it: store/databases.py)."""
    return Settings(_env_file=None, database_url=database_url).receiving_database_url


async def pending_count(database_url: str) -> int:
    """Inbox rows acknowledged but not yet started in Temporal (the redrive backlog)."""
    # A plain engine: mootaflow's own takes SQLite's write lock on every transaction.
    engine = create_async_engine(inbox_url(database_url))
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                select(func.count())
                .select_from(InboxMutation)
                .where(col(InboxMutation.state) == "pending")
            )
            return int(result.scalar_one())
    finally:
        await engine.dispose()


@dataclass
class Quiet:
    backlog_drained_s: float  # until no inbox row was pending
    quiet_s: float  # until the processes were idle too


async def wait_quiet(
    database_url: str,
    pids: Sequence[int],
    limit_s: float = 900.0,
    label: str = "",
    check_alive: Callable[[], None] | None = None,
    until_idle: bool = True,
) -> Quiet:
    """Until no inbox row is pending and every process in `pids` is idle; `check_alive`
    raises if the stack died (a dead receiver would leave its backlog forever)."""
    began = time.monotonic()
    drained: float | None = None
    idle_in_a_row = 0
    last_report = began
    while time.monotonic() - began < limit_s:
        if check_alive is not None:
            check_alive()
        pending = await pending_count(database_url)
        if pending == 0 and drained is None:
            drained = time.monotonic() - began
            if not until_idle:  # the worker may still be busy with the workflows
                return Quiet(round(drained, 1), math.nan)
        busiest = await busiest_cpu(pids)
        idle_in_a_row = idle_in_a_row + 1 if pending == 0 and busiest < IDLE_CPU else 0
        if idle_in_a_row >= 2:
            return Quiet(round(drained or 0.0, 1), round(time.monotonic() - began, 1))
        if time.monotonic() - last_report > 10:
            last_report = time.monotonic()
            print(
                f"  waiting for quiet{label}: backlog {pending}, busiest process "
                f"{busiest:.2f} cores, {time.monotonic() - began:.0f} s",
                flush=True,
            )
    raise TimeoutError(f"the stack did not go quiet within {limit_s:.0f} s")


@dataclass
class Loss:
    sent: int
    no_inbox_row: int
    not_started: int  # inbox row still pending: no workflow start succeeded
    workflows: int | None  # workflows Temporal has for the run (None: not countable)
    found_by_id: int = 0  # of those, not yet in Temporal's list (eventually consistent)

    @property
    def lost(self) -> int:
        missing_workflows = 0 if self.workflows is None else self.sent - self.workflows
        return max(self.no_inbox_row + self.not_started, missing_workflows)


async def check_loss(
    database_url: str, client: Client, mutation_ids: Sequence[str], workflow_prefix: str
) -> Loss:
    """Every sent mutation must have an inbox row marked started and a workflow."""
    states: dict[str, str] = {}
    engine = create_async_engine(inbox_url(database_url))
    try:
        async with engine.connect() as connection:
            for i in range(0, len(mutation_ids), 500):
                chunk = mutation_ids[i : i + 500]
                rows = await connection.execute(
                    select(col(InboxMutation.mutation_id), col(InboxMutation.state)).where(
                        col(InboxMutation.mutation_id).in_(chunk)
                    )
                )
                states.update({mutation_id: state for mutation_id, state in rows.tuples()})
    finally:
        await engine.dispose()
    try:
        workflows, unlisted = await workflows_found(client, mutation_ids, workflow_prefix)
    except Exception:
        workflows, unlisted = None, 0
    return Loss(
        sent=len(mutation_ids),
        no_inbox_row=sum(1 for m in mutation_ids if m not in states),
        not_started=sum(1 for state in states.values() if state != "started"),
        workflows=workflows,
        found_by_id=unlisted,
    )


async def workflows_found(
    client: Client, mutation_ids: Sequence[str], workflow_prefix: str
) -> tuple[int, int]:
    """How many of the mutations' workflows Temporal has, and how many of those only a
    lookup by id found. Temporal's count and list are eventually consistent (a workflow
    started a moment ago may not be in them yet), so each one they miss is asked for
    by id: describe reads the workflow itself."""
    query = f"WorkflowId STARTS_WITH '{workflow_prefix}'"
    if (await client.count_workflows(query)).count >= len(mutation_ids):
        return len(mutation_ids), 0
    listed = {execution.id async for execution in client.list_workflows(query)}
    ids = (workflow_id_for(m) for m in mutation_ids)
    unlisted = [workflow_id for workflow_id in ids if workflow_id not in listed]
    missing = await missing_workflows(client, unlisted)
    return len(mutation_ids) - len(missing), len(unlisted) - len(missing)


async def missing_workflows(client: Client, workflow_ids: Iterable[str]) -> list[str]:
    """Those of `workflow_ids` that Temporal has no workflow for."""
    missing = []
    for workflow_id in workflow_ids:
        try:
            await client.get_workflow_handle(workflow_id).describe()
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            missing.append(workflow_id)
    return missing
