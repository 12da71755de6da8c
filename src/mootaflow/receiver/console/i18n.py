"""The console's words in Bahasa Indonesia and English (MOOTAFLOW_LANGUAGE), and
times and ages written the way a clerk in Jakarta reads them."""

from datetime import datetime

from mootaflow.domain.moota import JAKARTA

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Finance",
        "queue": "Queue",
        "unresolved": "Unresolved",
        "quarantined": "Quarantined",
        "decisions": "Decisions",
        "search": "Search",
        "daily": "Daily summary",
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "finance_token": "Finance token",
        "signed_in_as": "Signed in as",
        "waiting": "waiting",
        "nothing_waiting": "Nothing is waiting for a decision.",
        "nothing_found": "Nothing found.",
        "age": "Waiting",
        "reason": "Reason",
        "amount": "Amount",
        "account": "Account",
        "bank_text": "Bank text",
        "bank_date": "Bank date",
        "date_only": "date only",
        "seen_by_moota": "seen by Moota",
        "candidates": "Candidate orders",
        "near_orders": "Open orders with a near amount",
        "order": "Order",
        "customer": "Customer",
        "created": "Created",
        "expires": "Expires",
        "approve": "Approve",
        "reject": "Reject",
        "other_order": "Other order ref",
        "note": "Note",
        "reject_reason": "Why reject (required)",
        "no_order_needed": "the flagged order",
        "status": "Status",
        "mutation_id": "Mutation id",
        "order_ref": "Order ref",
        "from": "From",
        "to": "To",
        "any": "any",
        "find": "Find",
        "export_csv": "Export CSV",
        "export": "Export",
        "next_page": "More",
        "payment": "Payment",
        "timeline": "Timeline",
        "invoice": "Invoice",
        "temporal_ui": "Open in Temporal UI",
        "received_at": "Received",
        "raw_item": "Raw item",
        "why_failed": "Why it failed",
        "who": "Who",
        "what": "What",
        "when": "When",
        "date": "Date",
        "paid": "Paid",
        "flagged": "Flagged",
        "unmatched": "Unmatched (rejected)",
        "count": "count",
        "total": "total",
        "totals": "Totals",
        "error": "Error",
        "decided": "Decided",
        "show": "Show",
        "flash_booked": "{id}: approved by {by}. Paid, booked to order {order}, invoice {invoice}.",
        "flash_rejected": "{id}: rejected by {by}. Nothing was booked.",
        "flash_accepted": "{id}: taken by its workflow, still being applied; "
        "it completes by itself.",
        "flash_refused": "{id}: not applied. {why}",
        "refunds": "Refunds",
        "difference": "If the amount differs",
        "difference_none": "exact (no difference)",
        "difference_accept": "accept (write off a shortfall, keep a surplus)",
        "difference_partial": "partial (order stays open for the rest)",
        "difference_refund": "refund the surplus",
        "allocations": "Several orders (REF=AMOUNT, comma-separated)",
        "refund_reference": "Bank reference of the refund",
        "mark_refund_paid": "Mark paid",
        "due": "Due",
        "flash_booked_detail": "{id}: approved by {by}: {detail}.",
        "flash_refund_paid": "Refund #{id} recorded as paid by {by}.",
    },
    "id": {
        "title": "Keuangan",
        "queue": "Antrean",
        "unresolved": "Belum terselesaikan",
        "quarantined": "Karantina",
        "decisions": "Keputusan",
        "search": "Cari",
        "daily": "Ringkasan harian",
        "sign_in": "Masuk",
        "sign_out": "Keluar",
        "finance_token": "Token keuangan",
        "signed_in_as": "Masuk sebagai",
        "waiting": "menunggu",
        "nothing_waiting": "Tidak ada yang menunggu keputusan.",
        "nothing_found": "Tidak ditemukan.",
        "age": "Menunggu",
        "reason": "Alasan",
        "amount": "Nominal",
        "account": "Rekening",
        "bank_text": "Keterangan bank",
        "bank_date": "Tanggal bank",
        "date_only": "tanggal saja",
        "seen_by_moota": "terlihat oleh Moota",
        "candidates": "Pesanan kandidat",
        "near_orders": "Pesanan terbuka dengan nominal mirip",
        "order": "Pesanan",
        "customer": "Pelanggan",
        "created": "Dibuat",
        "expires": "Kedaluwarsa",
        "approve": "Setujui",
        "reject": "Tolak",
        "other_order": "Ref pesanan lain",
        "note": "Catatan",
        "reject_reason": "Alasan menolak (wajib)",
        "no_order_needed": "pesanan yang ditandai",
        "status": "Status",
        "mutation_id": "ID mutasi",
        "order_ref": "Ref pesanan",
        "from": "Dari",
        "to": "Sampai",
        "any": "semua",
        "find": "Cari",
        "export_csv": "Ekspor CSV",
        "export": "Ekspor",
        "next_page": "Berikutnya",
        "payment": "Pembayaran",
        "timeline": "Riwayat",
        "invoice": "Faktur",
        "temporal_ui": "Buka di Temporal UI",
        "received_at": "Diterima",
        "raw_item": "Data mentah",
        "why_failed": "Penyebab gagal",
        "who": "Siapa",
        "what": "Apa",
        "when": "Kapan",
        "date": "Tanggal",
        "paid": "Lunas",
        "flagged": "Ditandai",
        "unmatched": "Tidak cocok (ditolak)",
        "count": "jumlah",
        "total": "total",
        "totals": "Total",
        "error": "Galat",
        "decided": "Diputuskan",
        "show": "Tampilkan",
        "flash_booked": "{id}: disetujui oleh {by}. Lunas, dibukukan ke pesanan {order}, "
        "faktur {invoice}.",
        "flash_rejected": "{id}: ditolak oleh {by}. Tidak ada yang dibukukan.",
        "flash_accepted": "{id}: diterima alur kerjanya, masih diproses; akan selesai sendiri.",
        "flash_refused": "{id}: tidak diterapkan. {why}",
        "refunds": "Pengembalian dana",
        "difference": "Jika nominal berbeda",
        "difference_none": "pas (tidak ada selisih)",
        "difference_accept": "terima (hapus kekurangan, simpan kelebihan)",
        "difference_partial": "sebagian (pesanan tetap terbuka untuk sisanya)",
        "difference_refund": "kembalikan kelebihan",
        "allocations": "Beberapa pesanan (REF=NOMINAL, pisahkan dengan koma)",
        "refund_reference": "Referensi bank pengembalian",
        "mark_refund_paid": "Tandai sudah dibayar",
        "due": "Terutang",
        "flash_booked_detail": "{id}: disetujui oleh {by}: {detail}.",
        "flash_refund_paid": "Pengembalian #{id} dicatat sudah dibayar oleh {by}.",
    },
}

# Why a payment waits for a person, in words.
REASONS: dict[str, dict[str, str]] = {
    "en": {
        "no_match": "No order has this amount",
        "ambiguous": "Several orders could be meant",
        "underpaid": "Paid less than the order",
        "overpaid": "Paid more than the order",
        "already_paid": "That order was already paid",
        "expired_order": "The order had expired",
        "high_value": "Large amount: check before booking",
        "wrong_account": "Paid into another account than the order's",
    },
    "id": {
        "no_match": "Tidak ada pesanan dengan nominal ini",
        "ambiguous": "Beberapa pesanan mungkin dimaksud",
        "underpaid": "Dibayar kurang dari pesanan",
        "overpaid": "Dibayar lebih dari pesanan",
        "already_paid": "Pesanan itu sudah dibayar",
        "expired_order": "Pesanan sudah kedaluwarsa",
        "high_value": "Nominal besar: periksa sebelum dibukukan",
        "wrong_account": "Ditransfer ke rekening lain dari rekening pesanan",
    },
}

STATUSES: dict[str, dict[str, str]] = {
    "en": {
        "received": "received",
        "matched": "matched",
        "awaiting_approval": "awaiting decision",
        "paid": "paid",
        "rejected": "rejected",
        "ignored": "ignored",
        "unresolved": "unresolved",
    },
    "id": {
        "received": "diterima",
        "matched": "cocok",
        "awaiting_approval": "menunggu keputusan",
        "paid": "lunas",
        "rejected": "ditolak",
        "ignored": "diabaikan",
        "unresolved": "belum terselesaikan",
    },
}

# Timeline steps (services/timeline.py kinds).
EVENTS: dict[str, dict[str, str]] = {
    "en": {
        "received": "Received from Moota",
        "flagged": "Flagged for finance",
        "reminder": "Reminder to finance",
        "unresolved": "Unresolved: nobody decided in time",
        "ignored": "Ignored",
        "approved": "Approved",
        "rejected": "Rejected",
        "booked": "Booked: order paid",
        "invoice": "Invoice issued",
        "email": "Email to customer",
        "callback": "Callback to merchant",
        "resent": "Sent again by Moota",
    },
    "id": {
        "received": "Diterima dari Moota",
        "flagged": "Ditandai untuk keuangan",
        "reminder": "Pengingat ke keuangan",
        "unresolved": "Belum terselesaikan: tidak ada keputusan tepat waktu",
        "ignored": "Diabaikan",
        "approved": "Disetujui",
        "rejected": "Ditolak",
        "booked": "Dibukukan: pesanan lunas",
        "invoice": "Faktur diterbitkan",
        "email": "Email ke pelanggan",
        "callback": "Callback ke merchant",
        "resent": "Dikirim ulang oleh Moota",
    },
}

_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "id": ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"],
}
_UNITS = {"en": ("min", "h", "days"), "id": ("mnt", "jam", "hari")}


class Words:
    """Everything a template says, in one language."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LABELS else "id"

    def __call__(self, key: str) -> str:
        return LABELS[self.language].get(key, key)

    def reason(self, code: str | None) -> str:
        return REASONS[self.language].get(code or "", code or "")

    def status(self, code: str) -> str:
        return STATUSES[self.language].get(code, code)

    def event(self, kind: str) -> str:
        return EVENTS[self.language].get(kind, kind)

    def when(
        self, moment: datetime | None, *, day_only: bool = False, seconds: bool = False
    ) -> str:
        """26 Nov 2026 14:05 WIB (Jakarta time); the day alone for a date-only date."""
        if moment is None:
            return "-"
        local = moment.astimezone(JAKARTA)
        day = f"{local.day} {_MONTHS[self.language][local.month - 1]} {local.year}"
        clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
        return day if day_only else f"{day} {clock} WIB"

    def age(self, seconds: int) -> str:
        minute, hour, days = _UNITS[self.language]
        minutes = max(0, seconds) // 60
        if minutes < 60:
            return f"{minutes} {minute}"
        if minutes < 48 * 60:
            return f"{minutes // 60} {hour} {minutes % 60} {minute}"
        return f"{minutes // (24 * 60)} {days}"
