"""`mootaflow fake-moota`: the fake Moota as a standalone server, for local trials.

It serves Moota's API v2 under /api/v2 (point MOOTAFLOW_MOOTA_API_URL there and
set MOOTAFLOW_MOOTA_API_TOKEN to its token) and pushes new mutations, signed,
to the webhook URL. Driven by its control endpoints (/_fake/...).
"""

import argparse
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mootaflow.fakemoota import FakeMoota

# The fake (Starlette app and all) is imported only when it is run: building the
# parser for `mootaflow worker` or `receiver` must not load it.

DEFAULT_PORT = 8900
# The README's walk-through pays into account 1234567890; a BRI account shows real times.
DEFAULT_BANKS = ("bca:1234567890:BCA", "bri:0987654321:BRI")
_BANK = re.compile(r"(?P<type>[A-Za-z]+):(?P<account>[0-9]{4,20})(?::(?P<label>.{1,40}))?")


def bank_spec(text: str) -> dict[str, str]:
    """TYPE:ACCOUNT[:LABEL], e.g. bca:1234567890:BCA."""
    match = _BANK.fullmatch(text)
    if not match:
        raise argparse.ArgumentTypeError(
            f"bank must be TYPE:ACCOUNT[:LABEL] (e.g. bca:1234567890:BCA), got {text!r}"
        )
    bank_type = match["type"]
    return {
        "bank_type": bank_type,
        "account_number": match["account"],
        "label": match["label"] or bank_type.upper(),
    }


def share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1: {text!r}")
    return value


def port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text!r}")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=port, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    parser.add_argument(
        "--webhook-url",
        default=None,
        help="where new mutations are pushed (default http://127.0.0.1:RECEIVER_PORT"
        "/webhooks/moota); an empty value pushes nothing",
    )
    parser.add_argument(
        "--secret",
        help="webhook signing secret (default: the first of MOOTAFLOW_WEBHOOK_SECRETS, "
        "else the dev secret)",
    )
    parser.add_argument(
        "--token",
        help="the API token it accepts (default: MOOTAFLOW_MOOTA_API_TOKEN, else the public "
        "fake-moota-token)",
    )
    parser.add_argument(
        "--bank",
        action="append",
        type=bank_spec,
        metavar="TYPE:ACCOUNT[:LABEL]",
        help="a bank account to start with; repeatable (default: "
        + ", ".join(DEFAULT_BANKS)
        + "). Type bca* reports date-only dates, as BCA does",
    )
    parser.add_argument(
        "--drop-share",
        type=share,
        default=0.0,
        help="share of webhook deliveries silently dropped, 0-1 (default 0)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for ids and dropped webhooks")


def build_fake(
    *,
    token: str,
    webhook_url: str | None,
    secret: str,
    banks: list[dict[str, str]],
    drop_share: float,
    seed: int,
) -> "FakeMoota":
    from mootaflow.fakemoota import FakeMoota

    fake = FakeMoota.create(
        token=token, webhook_url=webhook_url or None, webhook_secret=secret, seed=seed
    )
    fake.webhooks.drop_share = drop_share
    for spec in banks:
        fake.add_bank(**spec)
    return fake


def serve(fake: "FakeMoota", host: str, port: int) -> int:
    import uvicorn

    from mootaflow.fakemoota import DEFAULT_TOKEN, create_app

    base = f"http://{host}:{port}"
    token = next(iter(fake.tokens))
    # Only the public default is printed; a token given by the user stays unprinted.
    shown = token if token == DEFAULT_TOKEN else "(from --token / MOOTAFLOW_MOOTA_API_TOKEN)"
    lines = [
        "fake Moota is running",
        f"  API             {base}/api/v2  (MOOTAFLOW_MOOTA_API_URL)",
        f"  token           {shown}  (MOOTAFLOW_MOOTA_API_TOKEN)",
        f"  state           {base}/_fake/state",
        f"  webhook         {fake.webhooks.url or '(none: nothing is pushed)'}",
    ]
    if fake.webhooks.drop_share:
        lines.append(f"  dropping        {fake.webhooks.drop_share:.0%} of webhook deliveries")
    for bank in fake.banks:
        lines.append(f"  bank            {bank.bank_id}  {bank.label} {bank.account_number}")
    if fake.banks:
        lines.append(
            f"Try it:  curl -X POST {base}/api/v2/mutation/store/{fake.banks[0].bank_id} "
            f'-H "Authorization: Bearer {shown if token == DEFAULT_TOKEN else "$TOKEN"}" '
            '-H \'Content-Type: application/json\' -d \'{"amount": "150123", "type": "CR"}\''
        )
    print("\n".join(lines), flush=True)
    uvicorn.run(create_app(fake), host=host, port=port, log_config=None, server_header=False)
    return 0
