"""Workflow starts off the reply path: a bounded queue and a few tasks doing the
Temporal calls.

The webhook hands new mutations to `submit`, which never waits; what does not fit
stays pending in the inbox, where the redrive (receiver/redrive.py) finds it.
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from mootaflow.domain.moota import Mutation
from mootaflow.domain.reconcile import WEBHOOK
from mootaflow.domain.settings import Settings
from mootaflow.receiver import metrics
from mootaflow.receiver.started_marks import StartedMarks
from mootaflow.store import inbox
from mootaflow.store.inbox import PendingStart
from mootaflow.store.one_call import OneCall
from mootaflow.temporal.client import LazyClient
from mootaflow.temporal.starts import start_payment

log = logging.getLogger("mootaflow.starter")


class StartPool:
    def __init__(self, settings: Settings, writes: OneCall, temporal: LazyClient) -> None:
        self._settings = settings
        self._writes = writes
        self._temporal = temporal
        self._queue: asyncio.Queue[PendingStart] = asyncio.Queue(settings.start_queue_size)
        # Queued, being started, or started and not yet marked: never submitted twice.
        self._in_flight: set[str] = set()
        self._marks = StartedMarks(writes, on_marked=self._in_flight.difference_update)
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._start_loop(), name=f"workflow-starter-{n}")
            for n in range(self._settings.start_concurrency)
        ]
        self._marks.start()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self._marks.stop()

    def submit(self, mutations: Iterable[Mutation], source: str = WEBHOOK) -> int:
        """Queue workflow starts; never blocks. Returns how many were queued."""
        return self.submit_starts(PendingStart(mutation, source) for mutation in mutations)

    def submit_starts(self, starts: Iterable[PendingStart]) -> int:
        queued = 0
        for start in starts:
            if start.mutation.mutation_id in self._in_flight:
                continue
            try:
                self._queue.put_nowait(start)
            except asyncio.QueueFull:
                break
            self._in_flight.add(start.mutation.mutation_id)
            queued += 1
        return queued

    @property
    def busy(self) -> bool:
        """Starts are still queued."""
        return not self._queue.empty()

    async def _start_loop(self) -> None:
        while True:
            start = await self._queue.get()
            mutation = start.mutation
            started = False
            try:
                started = await self._start_one(start)
            finally:
                if started:
                    self._marks.add(mutation.mutation_id)  # in flight until marked
                else:
                    self._in_flight.discard(mutation.mutation_id)

    async def _start_one(self, start: PendingStart) -> bool:
        """True once the workflow exists (started now or before)."""
        mutation = start.mutation
        try:
            client = await self._temporal.get()
            result = await start_payment(client, mutation, self._settings, start.source)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            metrics.WORKFLOW_STARTS.labels("failed").inc()
            error = f"{type(exc).__name__}: {exc}"[:500]
            log.warning(
                "workflow start failed; the redrive loop will retry",
                extra={"mutation_id": mutation.mutation_id, "error": error},
            )
            with contextlib.suppress(Exception):
                await self._writes.run(inbox.mark_start_failed, mutation.mutation_id, error)
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

    def in_flight(self, mutation_id: str) -> bool:
        return mutation_id in self._in_flight
