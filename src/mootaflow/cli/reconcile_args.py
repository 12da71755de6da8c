"""`mootaflow reconcile`'s arguments, kept light: building the parser for any command
must not load the reconciliation code (see cli/reconcile.py)."""

import argparse
from datetime import date

HELP = (
    "one reconciliation pass by hand, without Temporal: the mutations Moota lists for "
    "the bank dates given that no webhook brought go into the inbox (a running receiver "
    "starts their payments); --status shows the accounts and recent passes instead"
)


def day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since", type=day, metavar="DATE", help="first bank date to list (YYYY-MM-DD, Jakarta)"
    )
    parser.add_argument(
        "--until", type=day, metavar="DATE", help="last bank date to list (default: today)"
    )
    parser.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="A",
        help="an account number or Moota bank id; repeatable (default: every active account)",
    )
    parser.add_argument(
        "--status",
        action="store_true",
        help="show the accounts' cursors and the recent passes instead of running one",
    )


def problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the combination of arguments, if anything."""
    if args.status:
        return None
    if args.since is None:
        return "--since DATE is required (or --status)"
    if args.until is not None and args.until < args.since:
        return f"--until {args.until} is before --since {args.since}"
    return None
