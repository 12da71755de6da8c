"""A loopback TCP proxy in front of Temporal that tests can cut or slow down.

gRPC is bytes on a TCP stream, so forwarding chunks is enough; `delay` holds
every client-to-server chunk back, `refuse` drops live and new connections.
"""

import asyncio
import contextlib


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.delay = 0.0
        self.refusing = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> "TcpProxy":
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.refuse()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def refuse(self) -> None:
        self.refusing = True
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    def accept(self) -> None:
        self.refusing = False

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(
            self._pipe(reader, up_writer, delayed=True),
            self._pipe(up_reader, writer, delayed=False),
            return_exceptions=True,
        )
        self._writers.discard(writer)
        self._writers.discard(up_writer)

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, delayed: bool
    ) -> None:
        try:
            while chunk := await source.read(65536):
                if delayed and self.delay:
                    await asyncio.sleep(self.delay)
                if self.refusing:
                    break
                sink.write(chunk)
                await sink.drain()
        finally:
            with contextlib.suppress(Exception):
                sink.close()
