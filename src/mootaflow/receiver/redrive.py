"""The redrive loop: inbox rows acknowledged but never started (Temporal was down, the
start queue was full, the process died after the commit) are started later, so
nothing acknowledged is lost. Runs every MOOTAFLOW_REDRIVE_INTERVAL_SECONDS and at
start-up."""

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from mootaflow.domain.settings import Settings
from mootaflow.receiver import metrics
from mootaflow.receiver.start_pool import StartPool
from mootaflow.store import inbox
from mootaflow.store.db import Sessions, reading
from mootaflow.temporal.client import LazyClient

log = logging.getLogger("mootaflow.starter")

_BATCH = 500
# Rows younger than this are normally still on their way through the hot path
# (of this or another receiver replica); leave them to it.
_GRACE = timedelta(seconds=2)


class Redrive:
    def __init__(
        self, settings: Settings, sessions: Sessions, temporal: LazyClient, pool: StartPool
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._temporal = temporal
        self._pool = pool
        self._now = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="redrive")
        # Rows a previous process acknowledged but never started go first.
        self.soon()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def soon(self) -> None:
        self._now.set()

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._now.wait(), self._settings.redrive_interval_seconds)
            self._now.clear()
            try:
                await self.once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("redrive pass failed", extra={"error": f"{type(exc).__name__}: {exc}"})

    async def once(self) -> int:
        """Submit pending inbox rows not already in flight; returns how many."""
        async with reading(self._sessions) as session:
            backlog = await inbox.count_pending(session)
        metrics.REDRIVE_BACKLOG.set(backlog)
        # While starts are still queued the pool is busy anyway; loading rows it
        # already holds would only take time from the requests on this event loop.
        if not backlog or self._pool.busy:
            return 0
        # While Temporal is down, retrying every row each pass would only burn
        # database writes; one cheap health check decides for the whole pass.
        if not await self._temporal.answers():
            log.info("Temporal unreachable; redrive waits")
            return 0
        async with reading(self._sessions) as session:
            pending = await inbox.pending_starts(
                session, _BATCH, received_before=datetime.now(UTC) - _GRACE
            )
        queued = self._pool.submit_starts(
            p for p in pending if not self._pool.in_flight(p.mutation.mutation_id)
        )
        if queued:
            log.info("redriving pending mutations", extra={"count": queued, "backlog": backlog})
        return queued
