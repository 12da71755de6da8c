"""The `mootaflow` command's arguments: every subcommand, its options and their checks
(garbage gets a one-line error from argparse, never a traceback)."""

import argparse
from decimal import Decimal
from pathlib import Path

from mootaflow import __version__
from mootaflow.cli import refunds_args
from mootaflow.domain.money import AmountError, parse_amount
from mootaflow.processes import DEV_WORKERS

MAX_DEV_WORKERS = 8


def _amount(text: str) -> Decimal:
    try:
        return parse_amount(text)
    except AmountError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"count must be a whole number from 1 to 1000: {text!r}")
    return int(text)


def _minutes(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 60 * 24 * 90:
        raise argparse.ArgumentTypeError(
            f"minutes must be a whole number from 1 to 129600: {text!r}"
        )
    return int(text)


def _name(text: str) -> str:
    if not text.strip() or len(text) > 500:
        raise argparse.ArgumentTypeError("must be 1-500 characters")
    return text.strip()


def _allocation(text: str) -> dict[str, str | None]:
    ref, _, amount = text.partition("=")
    if not ref.strip():
        raise argparse.ArgumentTypeError(f"expected ORDER or ORDER=AMOUNT, got {text!r}")
    return {"order_ref": ref.strip(), "amount": amount.strip() or None}


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_DEV_WORKERS:
        raise argparse.ArgumentTypeError(
            f"workers must be a whole number from 1 to {MAX_DEV_WORKERS}: {text!r}"
        )
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mootaflow",
        description="Moota bank-mutation webhooks as durable Temporal payment workflows. "
        "Settings come from MOOTAFLOW_* environment variables (and ./.env).",
    )
    parser.add_argument("--version", action="version", version=f"mootaflow {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    dev = commands.add_parser(
        "dev",
        help="run everything locally: Temporal dev server, worker, receiver (SQLite under ./var)",
        description="Start the Temporal dev server (Web UI included), the worker and the "
        "receiver, with state under ./var kept between runs. Ctrl-C stops all of it.",
    )
    dev.add_argument("--port", type=_port, help="receiver port (default 8000)")
    dev.add_argument("--temporal-port", type=_port, default=7233, help="default 7233")
    dev.add_argument("--ui-port", type=_port, default=8233, help="Temporal Web UI, default 8233")
    dev.add_argument("--var", type=Path, default=Path("var"), help="state folder (./var)")
    dev.add_argument(
        "--workers",
        type=_workers,
        default=DEV_WORKERS,
        help=f"worker processes, 1-{MAX_DEV_WORKERS} (default {DEV_WORKERS}: one per core of a "
        "small machine; each runs its payments' Python on one core)",
    )
    dev.add_argument(
        "--fake-moota",
        action="store_true",
        help="also run a fake Moota (API + signed webhooks to the receiver) and point the "
        "worker and receiver at it, to try the whole loop locally",
    )
    dev.add_argument(
        "--fake-moota-port", type=_port, default=8900, help="the fake Moota's port, default 8900"
    )

    receiver = commands.add_parser(
        "receiver", help="run the webhook receiver against configured Temporal and database"
    )
    receiver.add_argument("--host", help="bind address (default MOOTAFLOW_RECEIVER_HOST)")
    receiver.add_argument("--port", type=_port, help="port (default MOOTAFLOW_RECEIVER_PORT)")

    commands.add_parser("worker", help="run the Temporal worker (workflows and activities)")

    replay = commands.add_parser(
        "replay",
        help="replay running workflows' histories against this code (run before a deploy)",
        description="Fetch the histories of running workflows from Temporal and replay them "
        "against the workflow code installed here. Exit 1, naming them, if any would not "
        "replay: deploying this code would break those runs.",
    )
    replay.add_argument(
        "--query",
        help="Temporal visibility query of the workflows to replay "
        "(default: running PaymentWorkflow and RetentionWorkflow runs)",
    )
    replay.add_argument("--limit", type=_count, help="replay at most this many (1-1000)")

    commands.add_parser(
        "setup",
        help="prepare a deployment: database migrations, Temporal namespace (retention "
        ">= 14 days) and search attributes; idempotent",
    )

    db = commands.add_parser("db", help="database schema (Alembic migrations)")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser(
        "upgrade",
        help="apply all migrations to MOOTAFLOW_DATABASE_URL (receivers and "
        "workers also do this at start-up)",
    )

    orders = commands.add_parser("orders", help="create or show merchant orders")
    order_commands = orders.add_subparsers(dest="orders_command", required=True, metavar="ACTION")
    create = order_commands.add_parser(
        "create",
        help="create an order and print the exact amount to pay",
        description="Create an open order. The amount to pay is the base amount plus a unique "
        "code, unique among open orders on the account, so the transfer identifies the order.",
    )
    create.add_argument("--account", required=True, help="account number the customer pays into")
    create.add_argument("--amount", required=True, type=_amount, help="base amount in rupiah")
    create.add_argument("--ref", help="your own reference for the order (merchant_ref)")
    create.add_argument("--email", help="customer email (receives the invoice)")
    create.add_argument("--name", help="customer name")
    create.add_argument("--bank-id", help="Moota bank_id the transfer must arrive on")
    create.add_argument("--expires-in", type=_minutes, help="minutes until expiry (default 1440)")
    create.add_argument("--json", action="store_true", help="print the order as JSON")
    show = order_commands.add_parser("show", help="show an order by its reference")
    show.add_argument("ref", help="order reference (MF-...) or your merchant reference")
    show.add_argument("--json", action="store_true", help="print the order as JSON")

    pending = commands.add_parser(
        "pending", help="flagged payments awaiting a decision (and unresolved ones)"
    )
    pending.add_argument("--json", action="store_true", help="print as JSON")
    approve = commands.add_parser(
        "approve",
        help="approve a flagged payment (book it to an order)",
        description="Approve a flagged payment. For no_match and ambiguous payments, "
        "--order names the order to book it to; otherwise the flagged order is used.",
    )
    approve.add_argument("mutation_id")
    approve.add_argument("--by", required=True, type=_name, help="your name (recorded)")
    approve.add_argument("--order", help="order reference to book the payment to")
    approve.add_argument("--note", default="", help="why (recorded)")
    approve.add_argument(
        "--difference",
        choices=("accept", "partial", "refund"),
        help="when the amount differs: underpaid accept (write the rest off) or partial "
        "(the order stays open for the rest); overpaid accept (keep it) or refund",
    )
    approve.add_argument(
        "--allocate",
        action="append",
        type=_allocation,
        metavar="ORDER[=AMOUNT]",
        help="pay several orders from this transfer (repeat); without =AMOUNT an order "
        "takes what it still owes",
    )
    refunds_args.add_parser(commands)
    reject = commands.add_parser(
        "reject",
        help="reject a flagged payment (not an order payment)",
        description="Reject a flagged payment: nothing is booked; handle the money by hand.",
    )
    reject.add_argument("mutation_id")
    reject.add_argument("--by", required=True, type=_name, help="your name (recorded)")
    reject.add_argument("--reason", required=True, type=_name, help="why (recorded)")

    simulate = commands.add_parser(
        "simulate",
        help="post a correctly signed Moota-style delivery to a receiver",
        description="Post a signed delivery of COUNT credit mutations, as Moota would, and "
        "print the receiver's reply. For sandbox testing.",
    )
    simulate.add_argument(
        "--url", default=None, help="webhook URL (default http://127.0.0.1:PORT/webhooks/moota)"
    )
    simulate.add_argument(
        "--secret", help="signing secret (default: first MOOTAFLOW_WEBHOOK_SECRETS, else dev)"
    )
    simulate.add_argument("--account", default="1234567890", help="receiving account number")
    simulate.add_argument("--bank-id", default="simbank01", help="Moota bank_id")
    simulate.add_argument("--amount", type=_amount, default=Decimal(10000), help="rupiah")
    simulate.add_argument("--description", default="TRSF E-BANKING CR MOOTAFLOW SIMULATE")
    simulate.add_argument("--note", default="")
    simulate.add_argument("--type", choices=["CR", "DB"], default="CR", dest="mutation_type")
    simulate.add_argument("--count", type=_count, default=1, help="mutations (1-1000)")
    simulate.add_argument(
        "--date-only",
        action="store_true",
        help="the day only as the bank date, as BCA reports it (Moota sends midnight)",
    )

    from mootaflow.cli.reconcile_args import HELP
    from mootaflow.cli.reconcile_args import add_arguments as reconcile_arguments

    reconcile_arguments(commands.add_parser("reconcile", help=HELP, description=HELP))

    fake = commands.add_parser(
        "fake-moota",
        help="run a fake Moota (API v2 + signed webhooks) for local trials and tests",
        description="Serve a fake Moota: its API v2 under /api/v2 (set MOOTAFLOW_MOOTA_API_URL "
        "to http://HOST:PORT/api/v2 and MOOTAFLOW_MOOTA_API_TOKEN to its token), bank accounts "
        "and mutations in memory, and signed webhook pushes of new mutations "
        "(POST /api/v2/mutation/store/BANK_ID makes one). Control endpoints under /_fake/ add "
        "mutations, drop webhooks and switch on 401/429/500/slow replies.",
    )
    from mootaflow.cli.fakemoota import add_arguments

    add_arguments(fake)
    from mootaflow.cli import report

    report.add_arguments(commands)
    return parser
