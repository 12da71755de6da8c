"""Group commit for the webhook: deliveries that arrive while one transaction runs
share the next one.

One writer task per receiver means one webhook transaction at a time from this
process: no webhook connections of our own queueing on SQLite's write lock (whose
busy handler sleeps up to 100 ms between tries), and one commit (one fsync) for
many deliveries under load. A lone delivery is written at once; nothing waits to fill
a batch.
"""

import asyncio
import contextlib
import time
from collections.abc import Sequence

from sqlalchemy import Connection

from mootaflow.receiver import metrics
from mootaflow.store import inbox
from mootaflow.store.one_call import OneCall

# Bounds one transaction (and so the wait of the deliveries behind it).
MAX_BATCH_MUTATIONS = 2_000
# Each part's series looked up once, not per transaction.
_BEGIN, _STATEMENTS, _COMMIT = (
    metrics.INBOX_TRANSACTION_SECONDS.labels(part) for part in ("begin", "statements", "commit")
)


class ReceiverStopping(ConnectionError):
    """The receiver shut down before the delivery was saved: not acknowledged."""


class InboxWriter:
    def __init__(self, writes: OneCall) -> None:
        self._writes = writes
        self._waiting: list[tuple[inbox.Incoming, asyncio.Future[inbox.Saved]]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for _, future in self._waiting:
            if not future.done():
                future.set_exception(ReceiverStopping("receiver is shutting down"))
        self._waiting = []

    async def save(self, incoming: inbox.Incoming) -> inbox.Saved:
        """Saved once its transaction commits; raises what the transaction raised."""
        if self._task is None:
            raise ReceiverStopping("receiver is not running")
        future: asyncio.Future[inbox.Saved] = asyncio.get_running_loop().create_future()
        self._waiting.append((incoming, future))
        self._wakeup.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._waiting:
                batch = self._take_batch()
                await self._write(batch)

    def _take_batch(self) -> list[tuple[inbox.Incoming, asyncio.Future[inbox.Saved]]]:
        size = 0
        count = 0
        for incoming, _ in self._waiting:
            if count and size + incoming.parsed.size > MAX_BATCH_MUTATIONS:
                break
            size += incoming.parsed.size
            count += 1
        batch, self._waiting = self._waiting[:count], self._waiting[count:]
        return batch

    async def _write(self, batch: list[tuple[inbox.Incoming, asyncio.Future[inbox.Saved]]]) -> None:
        timed = _TimedTransaction()
        try:
            saved = await self._writes.run(timed.save, [incoming for incoming, _ in batch])
        except asyncio.CancelledError:
            self._waiting[:0] = batch  # stop() answers them
            raise
        except Exception as exc:
            if len(batch) > 1:
                # One bad delivery must not refuse the others: each on its own.
                for one in batch:
                    await self._write([one])
                return
            _, future = batch[0]
            if not future.done():
                future.set_exception(exc)
            return
        timed.observe()
        for (_, future), result in zip(batch, saved, strict=True):
            if not future.done():  # the client may have gone; the rows stay saved
                future.set_result(result)


class _TimedTransaction:
    """`save_accepted` with the time of each part of its transaction."""

    def __init__(self) -> None:
        self.called = time.perf_counter()
        self.began = self.ended = self.called

    def save(self, connection: Connection, batch: Sequence[inbox.Incoming]) -> list[inbox.Saved]:
        self.began = time.perf_counter()  # on the writes' thread, in the transaction
        saved = inbox.save_accepted(connection, batch)
        self.ended = time.perf_counter()
        return saved

    def observe(self) -> None:
        _BEGIN.observe(self.began - self.called)
        _STATEMENTS.observe(self.ended - self.began)
        _COMMIT.observe(time.perf_counter() - self.ended)
