"""What mootaflow writes back on a Moota mutation, from the payment's state (pure).

Finance works in Moota's dashboard; the note names the invoice and the tags let
them filter: `paid` plus the order reference, `flagged` plus the reason while a
payment waits for them, `rejected` once they refused it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from mootaflow.domain.payments import PaymentStatus

# Moota refuses longer notes (422).
MAX_NOTE = 255

PAID = "paid"
FLAGGED = "flagged"
REJECTED = "rejected"


@dataclass(frozen=True)
class WriteBack:
    """The note (None: leave Moota's note alone) and the tags mootaflow wants."""

    note: str | None
    tags: tuple[str, ...]


def wanted_write_back(
    status: str, order_ref: str | None, invoice_number: str | None, flag_reason: str | None
) -> WriteBack | None:
    """The write-back for a payment in `status`; None when there is nothing to say
    (still being matched, ignored debits and tests)."""
    if status == PaymentStatus.PAID and order_ref:
        note = None
        if invoice_number:
            note = f"{invoice_number} order {order_ref} (mootaflow)"[:MAX_NOTE]
        return WriteBack(note, (PAID, order_ref))
    if status in (PaymentStatus.AWAITING_APPROVAL, PaymentStatus.UNRESOLVED):
        return WriteBack(None, (FLAGGED, flag_reason) if flag_reason else (FLAGGED,))
    if status == PaymentStatus.REJECTED:
        return WriteBack(None, (REJECTED,))
    return None


@dataclass(frozen=True)
class TagChanges:
    attach: tuple[str, ...]
    detach: tuple[str, ...]


def tag_changes(written: Sequence[str], wanted: Sequence[str]) -> TagChanges:
    """From the tags mootaflow wrote before to the ones it wants now.

    Only mootaflow's own tags are detached: tags finance set by hand stay.
    """
    return TagChanges(
        attach=tuple(t for t in dict.fromkeys(wanted) if t not in written),
        detach=tuple(t for t in dict.fromkeys(written) if t not in wanted),
    )
