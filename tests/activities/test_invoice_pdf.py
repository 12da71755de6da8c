import io
from datetime import UTC, datetime
from decimal import Decimal

from pypdf import PdfReader

from mootaflow.activities.invoice_pdf import InvoiceData, render_invoice

DATA = InvoiceData(
    number="INV-202611-00042",
    issued_at=datetime(2026, 11, 26, 3, 5, tzinfo=UTC),
    seller_name="Toko Contoh",
    seller_address="Jl. Merdeka 1, Jakarta",
    seller_tax_id="01.234.567.8-901.000",
    seller_email="billing@toko.example",
    order_ref="MF-7K3P-9QXZ",
    merchant_ref="SO-1001",
    customer_name="Budi Santoso",
    customer_email="budi@example.com",
    base_amount=Decimal(150000),
    unique_code=123,
    amount=Decimal(150123),
    account_number="1234567890",
    bank_id="bank01",
    mutation_id="aolk4PekJxM",
    paid_at=datetime(2026, 11, 26, 3, 0, tzinfo=UTC),
)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_invoice_is_a_real_pdf_with_the_facts() -> None:
    pdf = render_invoice(DATA)
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    for expected in (
        "INVOICE INV-202611-00042",
        "Toko Contoh",
        "NPWP: 01.234.567.8-901.000",
        "MF-7K3P-9QXZ",
        "Budi Santoso",
        "Rp 150.123",
        "Rp 150.000",
        "123",
        "1234567890",
        "aolk4PekJxM",
        "2026-11-26 10:00:00 WIB",
    ):
        assert expected in text, expected


def test_rendering_is_deterministic() -> None:
    assert render_invoice(DATA) == render_invoice(DATA)


def test_names_outside_latin1_do_not_break_rendering() -> None:
    pdf = render_invoice(InvoiceData(**{**DATA.__dict__, "customer_name": "王小明 Śląsk"}))
    assert "Invoice" in PdfReader(io.BytesIO(pdf)).metadata.title  # type: ignore[union-attr,operator]
