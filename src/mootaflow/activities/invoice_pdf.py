"""The invoice as a PDF (fpdf2, pure Python, core fonts: nothing to install)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fpdf import FPDF

from mootaflow.domain.money import format_rupiah
from mootaflow.domain.moota import JAKARTA


@dataclass(frozen=True)
class InvoiceData:
    number: str
    issued_at: datetime
    seller_name: str
    seller_address: str
    seller_tax_id: str
    seller_email: str
    order_ref: str
    merchant_ref: str | None
    customer_name: str
    customer_email: str | None
    base_amount: Decimal
    unique_code: int
    amount: Decimal
    account_number: str
    bank_id: str | None
    mutation_id: str
    paid_at: datetime
    # The bank gave the day of the transfer only (BCA and others).
    paid_on_day_only: bool = False
    # Every transfer that paid the order (mutation id, amount to this order, bank
    # date), when there was more than one; and what finance let the customer off.
    transfers: tuple[tuple[str, Decimal, datetime], ...] = ()
    written_off: Decimal = Decimal(0)


def render_invoice(data: InvoiceData) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(data.issued_at)  # same input, same bytes
    pdf.set_title(f"Invoice {data.number}")
    pdf.set_author(_latin1(data.seller_name))
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    page = _Lines(pdf)

    page.line(data.seller_name, 10, size=18, style="B")
    for line in (data.seller_address, _labelled("NPWP", data.seller_tax_id), data.seller_email):
        if line:
            page.wrapped(line, 5)
    page.gap(6)

    page.line(f"INVOICE {data.number}", 8, size=14, style="B")
    page.line(f"Issued: {_local(data.issued_at)}", 6)
    page.line("Status: PAID", 6)
    page.gap(4)

    rows = [
        ("Order", data.order_ref),
        ("Merchant reference", data.merchant_ref or "-"),
        ("Customer", data.customer_name or "-"),
        ("Customer email", data.customer_email or "-"),
        ("Base amount", format_rupiah(data.base_amount)),
        ("Unique code", _unique_code(data)),
        ("Amount paid", format_rupiah(data.amount)),
        ("Paid into account", data.account_number),
        ("Moota bank id", data.bank_id or "-"),
        ("Bank mutation", data.mutation_id),
        ("Paid at", _day(data.paid_at) if data.paid_on_day_only else _local(data.paid_at)),
    ]
    for label, value in rows:
        page.row(label, value, 7)

    if data.transfers:
        page.gap(4)
        page.line("Paid by these transfers", 7, style="B")
        for mutation_id, amount, date in data.transfers:
            page.line(f"{_local(date)}   {format_rupiah(amount)}   mutation {mutation_id}", 6)
    if data.written_off:
        page.row("Discount (shortfall accepted)", format_rupiah(data.written_off), 7, ("", ""))

    page.gap(6)
    page.row("TOTAL", format_rupiah(data.amount), 8, ("B", "B"), size=12)
    return bytes(pdf.output())


class _Lines:
    """Lines of text down the page, each placed with FPDF.text. FPDF.cell lays out every
    line with styles, markup and links, which this invoice has none of: a page of cells
    cost the worker 6 ms of CPU per payment, most of its invoice."""

    LABEL_WIDTH = 55  # mm, the labels' column

    def __init__(self, pdf: FPDF) -> None:
        self._pdf = pdf

    def line(self, text: str, height: float, size: float = 10, style: str = "") -> None:
        self._room(height)
        self._write(0, text, height, size, style)
        self._pdf.ln(height)

    def row(
        self,
        label: str,
        value: str,
        height: float,
        styles: tuple[str, str] = ("B", ""),
        size: float = 10,
    ) -> None:
        """The label in its column, then the value; `styles` are FPDF's, one each."""
        self._room(height)
        self._write(0, label, height, size, styles[0])
        self._write(self.LABEL_WIDTH, value, height, size, styles[1])
        self._pdf.ln(height)

    def wrapped(self, text: str, height: float, size: float = 10) -> None:
        """Broken between words to fit the page's width."""
        pdf = self._pdf
        pdf.set_font("Helvetica", "", size)
        width = pdf.w - pdf.l_margin - pdf.r_margin
        words = _latin1(text).split()
        while words:
            taken = 1
            while (
                taken < len(words) and pdf.get_string_width(" ".join(words[: taken + 1])) <= width
            ):
                taken += 1
            self.line(" ".join(words[:taken]), height, size)
            words = words[taken:]

    def gap(self, height: float) -> None:
        self._pdf.ln(height)

    def _room(self, height: float) -> None:
        if self._pdf.y + height > self._pdf.page_break_trigger:
            self._pdf.add_page()

    def _write(self, x: float, text: str, height: float, size: float, style: str) -> None:
        pdf = self._pdf
        pdf.set_font("Helvetica", style, size)
        # Vertically centred in the line's height, as a cell would place it.
        baseline = pdf.y + height / 2 + 0.3 * pdf.font_size
        pdf.text(pdf.l_margin + x + pdf.c_margin, baseline, _latin1(text))


def _unique_code(data: InvoiceData) -> str:
    """Moota's kode unik (the total's last three digits) and what it added."""
    return f"{data.unique_code:03d} (adds {format_rupiah(data.amount - data.base_amount)})"


def _day(moment: datetime) -> str:
    return moment.astimezone(JAKARTA).strftime("%Y-%m-%d (the bank gives the day only)")


def _local(moment: datetime) -> str:
    return moment.astimezone(JAKARTA).strftime("%Y-%m-%d %H:%M:%S WIB")


def _labelled(label: str, value: str) -> str:
    return f"{label}: {value}" if value else ""


def _latin1(text: str) -> str:
    # The PDF core fonts cover Latin-1 only; anything else prints as '?'.
    return text.encode("latin-1", errors="replace").decode("latin-1")
