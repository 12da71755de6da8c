"""An email: built, then sent over SMTP when configured, else written as an .eml file
in the outbox."""

import asyncio
import re
import time
import uuid
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import Any

import aiosmtplib

from mootaflow.domain.settings import Settings

# Non-ASCII text (names, a bank's description) quoted-printable: what is ASCII stays
# readable in the .eml file.
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP


def compose(
    sender: str,
    to: str,
    subject: str,
    message_id: str,
    text: str,
    pdf: tuple[bytes, str] | None = None,
) -> Message:
    """A plain-text email, with a PDF (its bytes, its file name) attached if given.

    Built from the stdlib's `compat32` MIME classes, with names and subject encoded
    here: `EmailMessage` parses every header through its registry, 3.5 ms of the
    worker's CPU per invoice email against 0.8 ms, flattening included (README,
    Benchmarks).
    """
    body = MIMEText(text, "plain", "us-ascii" if text.isascii() else _UTF8)  # type: ignore[arg-type]
    message: Message = body
    if pdf is not None:
        # A random boundary of our own: for its own, the stdlib compiles a regular
        # expression per message to check the text does not contain it (a third of
        # the time to build and flatten an invoice email).
        message = MIMEMultipart(boundary=f"=={uuid.uuid4().hex}==")
        message.attach(body)
        data, filename = pdf
        attachment = MIMEApplication(data, "pdf")
        attachment.add_header("Content-Disposition", "attachment", filename=filename)
        message.attach(attachment)
    message["From"] = _address(sender)
    message["To"] = _address(to)
    message["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
    message["Message-ID"] = message_id
    return message


def _address(text: str) -> str:
    """`Name <address>` with a non-ASCII name encoded (RFC 2047)."""
    name, address = parseaddr(text)
    return formataddr((name, address)) if address else text


class PermanentMailError(Exception):
    """The mail server refused for good (5xx); retrying cannot help."""


class TransientMailError(Exception):
    """The mail server is down or said 'try later' (4xx); retry."""


class Mailer:
    """Sends messages over SMTP when configured, else writes them to the outbox.

    A connection stays open for the next message, up to KEEP_SECONDS idle: opening
    one (connect, the banner, EHLO, with STARTTLS and AUTH when configured, then
    QUIT) was about half of what SMTP cost the worker per email (README,
    Benchmarks). Messages sent at the same time each take their own connection.
    """

    KEEP_SECONDS = 5.0

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        # Connections between messages, with when each was last used.
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []
        self._expiry: asyncio.TimerHandle | None = None

    async def deliver(self, message: Message, name: str) -> str:
        """Send `message`; returns where it went (server reply or outbox path)."""
        if not self._settings.smtp_host:
            return str(write_to_outbox(self._settings.outbox_dir, message, name))
        try:
            errors, reply = await self._send(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [error.code for error in exc.recipients]
            if all(500 <= code < 600 for code in codes):
                raise PermanentMailError(f"recipients refused: {_first(exc.recipients)}") from None
            raise TransientMailError(f"recipients deferred: {_first(exc.recipients)}") from None
        except aiosmtplib.SMTPResponseException as exc:
            text = f"{exc.code} {exc.message}"
            if 500 <= exc.code < 600:
                raise PermanentMailError(text) from None
            raise TransientMailError(text) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise TransientMailError(f"{type(exc).__name__}: {exc}") from None
        if errors:
            raise PermanentMailError(f"some recipients refused: {errors}")
        return reply

    async def _send(self, message: Message) -> tuple[dict[str, Any], str]:
        smtp = await self._connection()
        try:
            result = await smtp.send_message(message)
        except BaseException:
            # Whatever the server's state, the next message starts afresh.
            smtp.close()
            raise
        self._idle.append((smtp, time.monotonic()))
        if self._expiry is None:
            self._expiry = asyncio.get_running_loop().call_later(self.KEEP_SECONDS, self._expire)
        return result

    async def _connection(self) -> aiosmtplib.SMTP:
        while self._idle:
            smtp, _ = self._idle.pop()
            # The server may have closed it meanwhile (its idle timeout, a restart).
            if smtp.is_connected:
                return smtp
        settings = self._settings
        smtp = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            use_tls=settings.smtp_security == "tls",
            start_tls=settings.smtp_security == "starttls",
            timeout=30,
        )
        await smtp.connect()
        return smtp

    def _expire(self) -> None:
        """Close the connections idle for KEEP_SECONDS; look again while any is open."""
        self._expiry = None
        now = time.monotonic()
        for smtp, used in [c for c in self._idle if now - c[1] >= self.KEEP_SECONDS]:
            smtp.close()
            self._idle.remove((smtp, used))
        if self._idle:
            self._expiry = asyncio.get_running_loop().call_later(self.KEEP_SECONDS, self._expire)


def write_to_outbox(folder: Path, message: Message, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{re.sub(r'[^A-Za-z0-9._-]', '_', name)}.eml"
    # Written whole then renamed: a crash never leaves half a message.
    partial = path.with_suffix(".eml.partial")
    partial.write_bytes(message.as_bytes())
    partial.replace(path)
    return path


def _first(recipients: list[aiosmtplib.SMTPRecipientRefused]) -> str:
    first = recipients[0]
    return f"{first.recipient}: {first.code} {first.message}"
