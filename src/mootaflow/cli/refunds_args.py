"""The `mootaflow refunds` arguments (parsed before anything heavy is imported)."""

import argparse
from typing import Any


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "refunds",
        help="refunds due to customers (overpayments finance chose to pay back)",
        description="List refunds (due by default), or record one as paid with "
        "`mootaflow refunds mark-paid ID --reference TEXT --by NAME`.",
    )
    parser.add_argument(
        "--status", default="due", choices=("due", "paid", "all"), help="which (default: due)"
    )
    parser.add_argument("--json", action="store_true", help="print as JSON")
    actions = parser.add_subparsers(dest="refund_action")
    paid = actions.add_parser(
        "mark-paid",
        help="record that a refund was transferred back",
        description="Record that refund ID was paid back to the customer.",
    )
    paid.add_argument("refund_id", type=_refund_id)
    paid.add_argument(
        "--reference", required=True, type=name, help="the bank reference of the refund transfer"
    )
    paid.add_argument("--by", required=True, type=name, help="your name (recorded)")


def _refund_id(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise argparse.ArgumentTypeError(f"not a refund id: {text!r}")
    return int(text)


def name(text: str) -> str:
    if not text.strip() or len(text) > 500 or any(ord(c) < 32 for c in text):
        raise argparse.ArgumentTypeError("must be one line of 1-500 characters")
    return text.strip()
