"""A small HTTP/1.1 client for load generation: keep-alive connections over asyncio
streams, requests pre-encoded, nothing else.

httpx costs about a millisecond of CPU per request; at a few hundred requests a
second on two shared cores the load generator itself became the bottleneck and
its own queueing showed up as the server's latency.
"""

import asyncio
from urllib.parse import urlsplit

_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class HttpError(Exception):
    """A reply this client cannot read."""


class LoadClient:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"plain http:// URL expected, got {url}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.path = parts.path or "/"
        self.timeout = timeout
        self._idle: list[_Connection] = []

    def request(self, body: bytes, headers: dict[str, str], path: str | None = None) -> bytes:
        """The bytes of one POST to the client's URL (or to `path` on its host)."""
        lines = [
            f"POST {path or self.path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Status and body of the reply; raises on timeout or a broken connection."""
        async with asyncio.timeout(self.timeout):
            while self._idle:
                try:
                    return await self._exchange(self._idle.pop(), request)
                except (asyncio.IncompleteReadError, ConnectionError) as exc:
                    # The server closed an idle connection (keep-alive timeout) just
                    # as we reused it: nothing was answered; try the next one.
                    if isinstance(exc, asyncio.IncompleteReadError) and exc.partial:
                        raise
            return await self._exchange(await self._connect(), request)

    async def _exchange(self, connection: _Connection, request: bytes) -> tuple[int, bytes]:
        reader, writer = connection
        try:
            writer.write(request)
            status, body, keep = await _read_response(reader)
        except BaseException:
            writer.close()
            raise
        if keep:
            self._idle.append(connection)
        else:
            writer.close()
        return status, body

    async def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle = []

    async def _connect(self) -> _Connection:
        return await asyncio.open_connection(self.host, self.port)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise HttpError(f"bad status line {status_line!r}")
    length = 0
    keep = True
    for line in header_lines:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            keep = False
        elif name == "transfer-encoding":
            raise HttpError("chunked replies are not supported")
    body = await reader.readexactly(length) if length else b""
    return int(parts[1]), body, keep
