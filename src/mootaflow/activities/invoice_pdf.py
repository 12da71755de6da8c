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
    pdf.add_page()
    pdf.set_auto_page_break(auto=True, margin=20)

    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, _latin1(data.seller_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in (data.seller_address, _labelled("NPWP", data.seller_tax_id), data.seller_email):
        if line:
            pdf.multi_cell(0, 5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)

    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, f"INVOICE {data.number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, f"Issued: {_local(data.issued_at)}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, "Status: PAID", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

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
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(55, 7, label)
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(0, 7, _latin1(value), new_x="LMARGIN", new_y="NEXT")

    if data.transfers:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 7, "Paid by these transfers", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        for mutation_id, amount, date in data.transfers:
            line = f"{_local(date)}   {format_rupiah(amount)}   mutation {mutation_id}"
            pdf.cell(0, 6, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    if data.written_off:
        pdf.cell(55, 7, "Discount (shortfall accepted)")
        pdf.cell(0, 7, format_rupiah(data.written_off), new_x="LMARGIN", new_y="NEXT")

    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(55, 8, "TOTAL")
    pdf.cell(0, 8, format_rupiah(data.amount), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


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
