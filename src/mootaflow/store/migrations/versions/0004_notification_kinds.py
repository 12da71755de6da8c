"""notification kinds spelled one way (customer_email, merchant_callback, finance,
finance_reminder_N), as the workflow state and the API name them

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The key is "<kind>:<mutation id>": renamed with its kind, so a retried activity
# still finds what an earlier attempt sent.
_RENAMED = (("customer-email", "customer_email"), ("merchant-callback", "merchant_callback"))


def upgrade() -> None:
    for old, new in _RENAMED:
        _rename(old, new)
    op.execute(
        "UPDATE notification SET kind = 'finance', key = 'finance' || substr(key, 17) "
        "WHERE kind = 'finance-notice-0'"
    )
    # finance-notice-N (N > 0) -> finance_reminder_N: the 15-character prefix changes.
    op.execute(
        "UPDATE notification SET kind = 'finance_reminder_' || substr(kind, 16), "
        "key = 'finance_reminder_' || substr(key, 16) WHERE kind LIKE 'finance-notice-%'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE notification SET kind = 'finance-notice-' || substr(kind, 18), "
        "key = 'finance-notice-' || substr(key, 18) WHERE kind LIKE 'finance\\_reminder\\_%' "
        "ESCAPE '\\'"
    )
    op.execute(
        "UPDATE notification SET kind = 'finance-notice-0', key = 'finance-notice-0' || "
        "substr(key, 8) WHERE kind = 'finance'"
    )
    for old, new in _RENAMED:
        _rename(new, old)


def _rename(old: str, new: str) -> None:
    start = len(old) + 1  # substr is 1-based: from the ':' on
    op.execute(
        f"UPDATE notification SET kind = '{new}', key = '{new}' || substr(key, {start}) "  # noqa: S608
        f"WHERE kind = '{old}'"
    )
