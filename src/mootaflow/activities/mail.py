"""Sending an email: over SMTP when configured, else as an .eml file in the outbox."""

import re
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from mootaflow.domain.settings import Settings


class PermanentMailError(Exception):
    """The mail server refused for good (5xx); retrying cannot help."""


class TransientMailError(Exception):
    """The mail server is down or said 'try later' (4xx); retry."""


async def deliver(settings: Settings, message: EmailMessage, name: str) -> str:
    """Send `message`; returns where it went (server reply or outbox path)."""
    if not settings.smtp_host:
        return str(write_to_outbox(settings.outbox_dir, message, name))
    try:
        errors, reply = await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            use_tls=settings.smtp_security == "tls",
            start_tls=settings.smtp_security == "starttls",
            timeout=30,
        )
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


def write_to_outbox(folder: Path, message: EmailMessage, name: str) -> Path:
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
