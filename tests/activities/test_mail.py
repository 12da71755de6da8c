"""compose: what a mail client reads back from the bytes sent, names and text in any
script; ASCII stays readable in the .eml file."""

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

from mootaflow.activities.mail import compose, write_to_outbox

PDF = b"%PDF-1.3 invoice"


def read_back(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_an_invoice_email_reads_back_whole() -> None:
    message = compose(
        "Toko Contoh <payments@toko.example>",
        "Budi Santoso <budi@example.com>",
        "Payment received: Rp 150.123 (MF-7K3P)",
        "<INV-202611-00001.m1@mootaflow>",
        "Hello Budi Santoso,\n\nYour invoice INV-202611-00001 is attached.\n",
        pdf=(PDF, "INV-202611-00001.pdf"),
    )
    sent = read_back(message.as_bytes())
    assert str(sent["From"]) == "Toko Contoh <payments@toko.example>"
    assert sent["To"].addresses[0].addr_spec == "budi@example.com"
    assert str(sent["Subject"]) == "Payment received: Rp 150.123 (MF-7K3P)"
    assert str(sent["Message-ID"]) == "<INV-202611-00001.m1@mootaflow>"
    body = sent.get_body(("plain",))
    assert body is not None and "Your invoice INV-202611-00001" in body.get_content()
    [attachment] = sent.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "INV-202611-00001.pdf"
    assert attachment.get_content() == PDF


def test_names_and_text_in_any_script_arrive_as_written() -> None:
    message = compose(
        "Toko Ñandú <payments@toko.example>",
        "王小明 <xiaoming@example.com>",
        "Pembayaran diterima — terima kasih",
        "<x@mootaflow>",
        "Hello 王小明,\n\nketerangan: bayar pesanan Śląsk\n",
    )
    raw = message.as_bytes()
    assert raw.isascii(), "headers and body must be encoded for 7-bit transport"
    sent = read_back(raw)
    assert sent["From"].addresses[0].display_name == "Toko Ñandú"
    assert sent["To"].addresses[0].display_name == "王小明"
    assert str(sent["Subject"]) == "Pembayaran diterima — terima kasih"
    assert sent.get_content() == "Hello 王小明,\n\nketerangan: bayar pesanan Śląsk\n"


def test_ascii_text_stays_readable_in_the_outbox(tmp_path: Path) -> None:
    text = "A payment waits for a decision.\n\n  reason       underpaid\n"
    message = compose("mootaflow <payments@localhost>", "finance@localhost", "a", "<f@m>", text)
    path = write_to_outbox(tmp_path, message, "finance-1")
    assert text in path.read_text()
