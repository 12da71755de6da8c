"""Marking inbox rows "started" once their workflows exist, many in one transaction.

Bookkeeping, not on anyone's path: under load the receiver's own writes stay one
or two at a time instead of one per workflow. A mark that fails is harmless: the
redrive repeats the start, which finds the workflow (no second run).
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from mootaflow.store import inbox
from mootaflow.store.one_call import OneCall

log = logging.getLogger("mootaflow.starter")

# Gather the starts of a little while into one transaction.
MARK_WINDOW = 0.2


class StartedMarks:
    def __init__(self, writes: OneCall, on_marked: Callable[[Iterable[str]], None]) -> None:
        self._writes = writes
        # Told which ids are done (marked, or given up on): the start pool's in-flight set.
        self._on_marked = on_marked
        self._ids: list[str] = []
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="mark-started")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def add(self, mutation_id: str) -> None:
        self._ids.append(mutation_id)
        self._ready.set()

    async def _loop(self) -> None:
        while True:
            await self._ready.wait()
            await asyncio.sleep(MARK_WINDOW)
            self._ready.clear()
            ids, self._ids = self._ids, []
            try:
                await self._writes.run(inbox.mark_started, ids, datetime.now(UTC))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "could not mark inbox rows started",
                    extra={"count": len(ids), "error": f"{type(exc).__name__}: {exc}"[:500]},
                )
            finally:
                self._on_marked(ids)
