"""Starts PaymentWorkflows off the reply path, and redrives whatever was left unstarted.

The webhook handler only hands new mutations to `submit`, which never waits.
A bounded pool of tasks does the Temporal calls; a redrive loop re-reads the
inbox for rows still pending (Temporal was down, the queue was full, the
process died after the commit) so nothing acknowledged is lost.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta

from temporalio.client import Client

from mootaflow.domain.moota import Mutation
from mootaflow.domain.reconcile import WEBHOOK
from mootaflow.domain.settings import Settings
from mootaflow.receiver import metrics
from mootaflow.store import inbox
from mootaflow.store.db import Sessions
from mootaflow.store.inbox import PendingStart
from mootaflow.workflows.starting import approval_policy, start_payment

log = logging.getLogger("mootaflow.starter")

_REDRIVE_BATCH = 500
# Rows younger than this are normally still on their way through the hot path
# (of this or another receiver replica); leave them to it.
_REDRIVE_GRACE = timedelta(seconds=2)
_HEALTH_TIMEOUT = 2.0
# Marking is bookkeeping, not on anyone's path: gather starts a little while.
_MARK_WINDOW = 0.2


class WorkflowStarter:
    def __init__(
        self,
        settings: Settings,
        sessions: Sessions,
        connect: Callable[[], Awaitable[Client]],
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._connect = connect
        self._client: Client | None = None
        self._client_lock = asyncio.Lock()
        self._queue: asyncio.Queue[PendingStart] = asyncio.Queue(settings.start_queue_size)
        # Ids queued or being started, so the redrive loop does not double-submit.
        self._in_flight: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        # Started workflows whose inbox rows are marked together, in one transaction.
        self._to_mark: list[str] = []
        self._mark_now = asyncio.Event()
        self._redrive_now = asyncio.Event()
        self._approval = approval_policy(settings)

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._start_loop(), name=f"workflow-starter-{n}")
            for n in range(self._settings.start_concurrency)
        ]
        self._tasks.append(asyncio.create_task(self._redrive_loop(), name="redrive"))
        self._tasks.append(asyncio.create_task(self._mark_loop(), name="mark-started"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def submit(self, mutations: Iterable[Mutation], source: str = WEBHOOK) -> None:
        """Queue workflow starts; never blocks. What does not fit waits for the redrive."""
        self._submit(PendingStart(mutation, source) for mutation in mutations)

    def _submit(self, starts: Iterable[PendingStart]) -> None:
        for start in starts:
            if start.mutation.mutation_id in self._in_flight:
                continue
            try:
                self._queue.put_nowait(start)
            except asyncio.QueueFull:
                return
            self._in_flight.add(start.mutation.mutation_id)

    def redrive_soon(self) -> None:
        self._redrive_now.set()

    async def client(self) -> Client:
        """The Temporal client, connecting on first use (Temporal may be down at boot)."""
        async with self._client_lock:
            if self._client is None:
                self._client = await self._connect()
            return self._client

    async def _start_loop(self) -> None:
        while True:
            start = await self._queue.get()
            mutation = start.mutation
            started = False
            try:
                started = await self._start_one(start)
            finally:
                if started:
                    # Stays in flight until its row is marked (see _mark_loop).
                    self._to_mark.append(mutation.mutation_id)
                    self._mark_now.set()
                else:
                    self._in_flight.discard(mutation.mutation_id)

    async def _start_one(self, start: PendingStart) -> bool:
        """True once the workflow exists (started now or before)."""
        mutation = start.mutation
        try:
            client = await self.client()
            result = await start_payment(
                client,
                mutation,
                source=start.source,
                task_queue=self._settings.task_queue,
                approval=self._approval,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            metrics.WORKFLOW_STARTS.labels("failed").inc()
            log.warning(
                "workflow start failed; the redrive loop will retry",
                extra={"mutation_id": mutation.mutation_id, "error": _describe(exc)},
            )
            with contextlib.suppress(Exception):
                async with self._sessions() as session:
                    await inbox.mark_start_failed(session, mutation.mutation_id, _describe(exc))
            return False
        metrics.WORKFLOW_STARTS.labels(result).inc()
        log.info(
            "workflow started",
            extra={
                "mutation_id": mutation.mutation_id,
                "workflow_id": mutation.workflow_id,
                "result": result,
            },
        )
        return True

    async def _mark_loop(self) -> None:
        # One transaction for all starts since the last one: under load the receiver's
        # own writes stay one or two at a time instead of one per workflow.
        while True:
            await self._mark_now.wait()
            await asyncio.sleep(_MARK_WINDOW)
            self._mark_now.clear()
            ids, self._to_mark = self._to_mark, []
            try:
                async with self._sessions() as session:
                    await inbox.mark_started(session, ids, datetime.now(UTC))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The workflows exist; a later redrive repeats their starts harmlessly.
                log.warning(
                    "could not mark inbox rows started",
                    extra={"count": len(ids), "error": _describe(exc)},
                )
            finally:
                self._in_flight.difference_update(ids)

    async def _redrive_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._redrive_now.wait(), self._settings.redrive_interval_seconds
                )
            self._redrive_now.clear()
            try:
                await self.redrive()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("redrive pass failed", extra={"error": _describe(exc)})

    async def redrive(self) -> int:
        """Submit pending inbox rows not already in flight; returns how many."""
        async with self._sessions() as session:
            backlog = await inbox.count_pending(session)
        metrics.REDRIVE_BACKLOG.set(backlog)
        # While starts are still queued the pool is busy anyway; loading rows it
        # already holds would only take time from the requests on this event loop.
        if not backlog or not self._queue.empty() or not await self._temporal_answers():
            return 0
        async with self._sessions() as session:
            pending = await inbox.pending_starts(
                session, _REDRIVE_BATCH, received_before=datetime.now(UTC) - _REDRIVE_GRACE
            )
        fresh = [p for p in pending if p.mutation.mutation_id not in self._in_flight]
        self._submit(fresh)
        if fresh:
            log.info("redriving pending mutations", extra={"count": len(fresh), "backlog": backlog})
        return len(fresh)

    async def _temporal_answers(self) -> bool:
        # While Temporal is down, retrying every row each pass would only burn
        # database writes; one cheap health check decides for the whole pass.
        try:
            async with asyncio.timeout(_HEALTH_TIMEOUT):
                client = await self.client()
                await client.service_client.check_health()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.info("Temporal unreachable; redrive waits", extra={"error": _describe(exc)})
            return False
        return True


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
