import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fpdf import FPDF
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


def test_a_long_address_wraps_within_the_page() -> None:
    address = " ".join(["Jl. Jenderal Sudirman Kav. 52-53, Lantai 12"] * 6)
    pdf = render_invoice(InvoiceData(**{**DATA.__dict__, "seller_address": address}))
    lines: dict[float, str] = {}

    def collect(text: str, cm: Any, tm: list[float], font: Any, size: float) -> None:
        if "Sudirman" in text or "Lantai" in text:
            lines[tm[5]] = lines.get(tm[5], "") + text

    [page] = PdfReader(io.BytesIO(pdf)).pages
    page.extract_text(visitor_text=collect)
    assert len(lines) >= 3, "one line would run off the page"
    assert " ".join(" ".join(lines.values()).split()) == address
    measure = FPDF(format="A4")
    measure.set_font("Helvetica", "", 10)
    room = measure.w - measure.l_margin - measure.r_margin
    assert all(measure.get_string_width(line.strip()) <= room for line in lines.values())
    assert len(lines) <= measure.get_string_width(address) / room + 1, "lines left half empty"


def test_many_transfers_go_on_to_a_second_page() -> None:
    paid = DATA.paid_at
    transfers = tuple((f"transfer-{i:02d}", Decimal(2500), paid) for i in range(60))
    pdf = render_invoice(InvoiceData(**{**DATA.__dict__, "transfers": transfers}))
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 2
    text = text_of(pdf)
    assert all(f"mutation transfer-{i:02d}" in text for i in range(60))
    assert "TOTAL" in pages[1].extract_text()
