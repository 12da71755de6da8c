"""A payment's closed sets (statuses, notification kinds) and the outcome of booking one.

One spelling each, used by the workflow, the store, the API, the CLI and the
search attributes. Values are what the database and Temporal already hold:
changing one needs a migration (and a patch for running workflows).
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PaymentStatus(StrEnum):
    RECEIVED = "received"
    MATCHED = "matched"
    AWAITING_APPROVAL = "awaiting_approval"
    PAID = "paid"
    REJECTED = "rejected"
    IGNORED = "ignored"
    UNRESOLVED = "unresolved"


class NotificationKind(StrEnum):
    """What a payment owes people: the `notification` table's kind (and the prefix of
    its idempotency key), and its name in the API and the workflow's state."""

    CUSTOMER_EMAIL = "customer_email"
    MERCHANT_CALLBACK = "merchant_callback"
    # The first notice to finance; reminders are finance_reminder_1, _2, ...
    FINANCE = "finance"
    FINANCE_REMINDER = "finance_reminder"
    # The note and tags on the mutation in Moota's dashboard (moota_write_back table).
    MOOTA_WRITE_BACK = "moota_write_back"


def finance_notice(reminder: int) -> str:
    """The notification name of finance's first notice (0) or of a reminder."""
    if reminder == 0:
        return NotificationKind.FINANCE.value
    return f"{NotificationKind.FINANCE_REMINDER}_{reminder}"


class OrderStatus(StrEnum):
    OPEN = "open"
    # Some money allocated, `amount_due` still owed; open for the rest.
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    EXPIRED = "expired"


class InboxState(StrEnum):
    # Acknowledged to Moota, workflow not yet started; then Temporal has it.
    PENDING = "pending"
    STARTED = "started"


@dataclass(frozen=True)
class Booking:
    """The outcome of booking an order paid by a mutation."""

    paid: bool
    order_ref: str
    paid_at: datetime | None = None
    paid_by: str | None = None  # when not paid: the mutation that got there first
