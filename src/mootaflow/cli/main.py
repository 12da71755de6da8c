"""Entry point of the `mootaflow` command."""

import argparse
import asyncio
import gc
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx

from mootaflow.cli import logs
from mootaflow.cli.parser import build_parser
from mootaflow.domain.settings import DEV_WEBHOOK_SECRET, Settings, SettingsError, load_settings


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, settings.log_format)
    try:
        if args.command == "dev":
            return _dev(args, settings)
        if args.command == "receiver":
            return _receiver(args, settings)
        if args.command == "worker":
            return _worker(settings)
        if args.command == "replay":
            from mootaflow.cli.replay import replay

            return replay(settings, args.query, args.limit)
        if args.command == "setup":
            from mootaflow.cli.setup import run_setup

            return run_setup(settings)
        if args.command == "db":
            return _db(settings)
        if args.command == "orders":
            return _orders(args, settings)
        if args.command in ("pending", "approve", "reject"):
            return _finance(args, settings)
        if args.command == "refunds":
            from mootaflow.cli import refunds

            return refunds.run(settings, args)
        if args.command == "fake-moota":
            return _fake_moota(args, settings)
        if args.command == "report":
            from mootaflow.cli import report

            return report.run(settings, args)
        if args.command == "reconcile":
            return _reconcile(args, settings)
        return _simulate(args, settings)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _dev(args: argparse.Namespace, settings: Settings) -> int:
    from mootaflow.cli.dev import DevStack
    from mootaflow.temporal.devserver import DevServerError

    if args.port:
        os.environ["MOOTAFLOW_RECEIVER_PORT"] = str(args.port)
        settings = settings.model_copy(update={"receiver_port": args.port})
    try:
        stack = DevStack(
            settings,
            args.var,
            args.temporal_port,
            args.ui_port,
            args.workers,
            fake_moota_port=args.fake_moota_port if args.fake_moota else None,
        )
        return stack.run()
    except DevServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _receiver(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from mootaflow.receiver.app import create_app

    settings.require_production_secrets()
    app = create_app(settings)
    freeze_startup_objects()
    uvicorn.run(
        app,
        host=args.host or settings.receiver_host,
        port=args.port or settings.receiver_port,
        # We decide ourselves whom to believe about the client address (trusted_proxies).
        proxy_headers=False,
        server_header=False,
        log_config=None,
        timeout_graceful_shutdown=10,
    )
    return 0


def _worker(settings: Settings) -> int:
    import uvloop

    from mootaflow.temporal.worker import run_worker

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run_worker(settings, stop)

    if settings.worker_nice:
        os.nice(settings.worker_nice)
    freeze_startup_objects()

    # uvloop, as uvicorn gives the receiver: each database statement of an activity
    # hops to an aiosqlite thread and back, and uvloop makes the hops cheaper (about
    # 5% of the worker's CPU per payment, bench/e2e.py).
    uvloop.run(run())
    return 0


def freeze_startup_objects() -> None:
    """Put what start-up made (modules, classes, their tables) out of the collector's reach.

    It lives as long as the process, yet each full collection walked all of it with the
    GIL held: 65-150 ms, several times a minute under load, while no request or activity
    ran. At 300/s that made the acknowledgements' p99 220-260 ms instead of 55-70 ms
    (README, Benchmarks). Objects made later are collected as before.
    """
    gc.collect()
    gc.freeze()


def _db(settings: Settings) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from mootaflow.store.databases import open_databases

    async def run() -> None:
        async with open_databases(settings):
            pass  # opening them applies the migrations

    try:
        asyncio.run(run())
    except (SQLAlchemyError, OSError) as exc:
        print(f"error: could not migrate {_safe_url(settings)}: {exc}", file=sys.stderr)
        return 1
    print(f"database {_safe_url(settings)} is at the latest schema")
    return 0


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    urls = dict.fromkeys([settings.database_url, settings.receiving_database_url])
    return " and ".join(make_url(url).render_as_string(hide_password=True) for url in urls)


def _orders(args: argparse.Namespace, settings: Settings) -> int:
    from mootaflow.cli import orders

    if args.orders_command == "show":
        return orders.show(settings, args.ref, args.json)
    fields = {
        "account_number": args.account,
        "amount": args.amount,
        "merchant_ref": args.ref,
        "customer_email": args.email,
        "customer_name": args.name,
        "bank_id": args.bank_id,
        "expires_in_minutes": args.expires_in,
    }
    return orders.create(settings, fields, args.json)


def _finance(args: argparse.Namespace, settings: Settings) -> int:
    from mootaflow.cli import finance

    if args.command == "pending":
        return finance.pending(settings, args.json)
    if args.command == "approve":
        return finance.decide(
            settings, "approve", args.mutation_id, args.by, args.order, args.note,
            args.difference, args.allocate,
        )  # fmt: skip
    return finance.decide(settings, "reject", args.mutation_id, args.by, None, args.reason)


def _reconcile(args: argparse.Namespace, settings: Settings) -> int:
    from mootaflow.cli import reconcile
    from mootaflow.cli.reconcile_args import problem

    if (wrong := problem(args)) is not None:
        print(f"error: {wrong}", file=sys.stderr)
        return 2
    if args.status:
        return reconcile.status(settings)
    return reconcile.reconcile(settings, args.since, args.until, args.account)


def _fake_moota(args: argparse.Namespace, settings: Settings) -> int:
    from mootaflow.cli.fakemoota import DEFAULT_BANKS, bank_spec, build_fake, serve
    from mootaflow.fakemoota import DEFAULT_TOKEN

    if args.webhook_url is None:
        args.webhook_url = f"http://127.0.0.1:{settings.receiver_port}/webhooks/moota"
    token = args.token or (
        settings.moota_api_token.get_secret_value() if settings.moota_api_token else DEFAULT_TOKEN
    )
    fake = build_fake(
        token=token,
        webhook_url=args.webhook_url,
        secret=args.secret or (settings.webhook_secrets or [DEV_WEBHOOK_SECRET])[0],
        banks=args.bank or [bank_spec(spec) for spec in DEFAULT_BANKS],
        drop_share=args.drop_share,
        seed=args.seed,
    )
    return serve(fake, args.host, args.port)


def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    from mootaflow.cli.simulate import build_delivery, post_delivery

    url = args.url or f"http://127.0.0.1:{settings.receiver_port}/webhooks/moota"
    secret = args.secret or (settings.webhook_secrets or [DEV_WEBHOOK_SECRET])[0]
    body = build_delivery(
        account=args.account,
        amount=args.amount,
        description=args.description,
        note=args.note,
        mutation_type=args.mutation_type,
        count=args.count,
        bank_id=args.bank_id,
        now=datetime.now(UTC),
        date_only=args.date_only,
    )
    try:
        response = post_delivery(url, body, secret)
    except httpx.HTTPError as exc:
        print(f"error: could not post to {url}: {exc}", file=sys.stderr)
        return 1
    ids = [item["mutation_id"] for item in json.loads(body)]
    print(f"POST {url} -> {response.status_code}")
    print(response.text)
    if response.is_success:
        print("mutation ids: " + ", ".join(ids))
        print("workflow ids: " + ", ".join(f"moota-mutation-{i}" for i in ids))
    return 0 if response.is_success else 1


def run() -> None:
    """Console entry point. Exits without interpreter finalisation: the Temporal SDK's
    native runtime can crash there (sdk-python#300, "PyGILState_Release", exit -6/139)
    after the command itself succeeded, which would turn a success into a failure."""
    try:
        code = main()
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        # The reader went away (`mootaflow pending | head`): not an error worth a traceback.
        code = 0
    os._exit(code)


if __name__ == "__main__":
    run()
