"""`mootaflow report payments --from --to [--status]`: the accounting export as CSV on
standard output, the same file as GET /api/reports/payments.csv and the console's."""

import argparse
import asyncio
import sys

from mootaflow.cli.orders import with_sessions
from mootaflow.domain.errors import ServiceError
from mootaflow.domain.settings import Settings
from mootaflow.services import params, reports
from mootaflow.store.db import Sessions


def add_arguments(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    report = commands.add_parser(
        "report",
        help="accounting reports (CSV on standard output)",
        description="Accounting reports from the database; redirect to a file: "
        "mootaflow report payments --from 2026-11-01 --to 2026-11-30 > november.csv",
    )
    kinds = report.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    payments = kinds.add_parser(
        "payments",
        help="payments with a bank date in the range (Jakarta days, inclusive)",
        description="Columns: date, mutation_id, account, amount, order, invoice_number, "
        "unique_code, status, decided_by. Dates are the bank's (Jakarta); a date-only "
        "bank date is written as the day.",
    )
    payments.add_argument("--from", dest="first", required=True, help="first day, YYYY-MM-DD")
    payments.add_argument("--to", dest="last", required=True, help="last day, YYYY-MM-DD")
    payments.add_argument(
        "--status", default=params.ANY_STATUS, help="one status (e.g. paid), or all (default)"
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        days = params.required_days(args.first, args.last)
        statuses = params.status(args.status, params.ANY_STATUS)
    except ServiceError as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return 2

    async def write(sessions: Sessions) -> None:
        async for chunk in reports.payments_csv(sessions, days, statuses):
            sys.stdout.write(chunk)

    # Rows go out as they are read: the export may be larger than memory.
    asyncio.run(with_sessions(settings, write))
    sys.stdout.flush()
    return 0
