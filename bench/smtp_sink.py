"""A local SMTP server (aiosmtpd, in a thread of the bench process) that counts what
arrives and when: the end of a payment is its customer email landing here."""

import threading
import time
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bench.stack import free_port


class Sink:
    """aiosmtpd handler: accepts everything, keeps recipients and arrival times."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []  # time.time() of each message
        self.recipients: set[str] = set()
        # Each recipient's first message: when one payment's email landed.
        self.first_to: dict[str, float] = {}
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            now = time.time()
            self.arrivals.append(now)
            for address in map(str, envelope.rcpt_tos):
                self.recipients.add(address)
                self.first_to.setdefault(address, now)
        return "250 Message accepted"

    @property
    def count(self) -> int:
        return len(self.arrivals)

    def arrived(self, prefix: str) -> list[float]:
        """First-arrival times of the recipients whose address starts with `prefix`."""
        with self._lock:
            return [at for address, at in self.first_to.items() if address.startswith(prefix)]


class SmtpSink:
    """`with SmtpSink() as sink:` runs the server on a free loopback port."""

    def __init__(self) -> None:
        self.sink = Sink()
        self.host = "127.0.0.1"
        self.port = free_port()
        # Invoice emails carry a PDF; aiosmtpd's default 32 MiB limit is plenty.
        self._controller = Controller(self.sink, hostname=self.host, port=self.port)

    def __enter__(self) -> "SmtpSink":
        self._controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._controller.stop()
