"""`mootaflow dev`: the whole system on embedded defaults, supervised in one terminal.

Child processes: the Temporal dev server (state under ./var), the workers (two by
default) and the receiver. Ctrl-C stops all of them; if one dies, the rest are stopped.
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mootaflow.domain.settings import (
    DEV_API_KEY,
    DEV_FINANCE_TOKEN,
    DEV_WEBHOOK_SECRET,
    Settings,
)
from mootaflow.fakemoota import DEFAULT_TOKEN as FAKE_MOOTA_TOKEN
from mootaflow.processes import stop_in_order, worker_name
from mootaflow.temporal.client import connect
from mootaflow.temporal.devserver import dev_server_command
from mootaflow.temporal.setup import MIN_RETENTION, ensure_namespace

_STARTUP_TIMEOUT = 60.0
# One machine for everything: the Temporal dev server and the worker
# (MOOTAFLOW_WORKER_NICE) give way to the receiver, whose acknowledgements Moota
# waits for while the starts and the payments behind them can wait their turn. The
# lowest priority: at 10 a busy worker still delayed acknowledgements (bench/ack.py,
# README "Benchmarks"); either way they get every CPU the receiver leaves idle.
BACKGROUND_NICE = 19


@dataclass
class DevStack:
    settings: Settings
    var: Path
    temporal_port: int
    ui_port: int
    workers: int
    # `--fake-moota`: the fake Moota's port; the worker and receiver get its API URL and token.
    fake_moota_port: int | None = None
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["MOOTAFLOW_ENV"] = "dev"
        env["MOOTAFLOW_TEMPORAL_ADDRESS"] = f"127.0.0.1:{self.temporal_port}"
        env.setdefault("MOOTAFLOW_LOG_FORMAT", "console")
        env.setdefault("MOOTAFLOW_WORKER_NICE", str(BACKGROUND_NICE))
        if self.fake_moota_port is not None:
            env["MOOTAFLOW_MOOTA_API_URL"] = f"http://127.0.0.1:{self.fake_moota_port}/api/v2"
            env["MOOTAFLOW_MOOTA_API_TOKEN"] = FAKE_MOOTA_TOKEN
        return env

    def spawn(
        self,
        name: str,
        command: list[str],
        log_file: Path | None = None,
        nice: int = 0,
        env: dict[str, str] | None = None,
    ) -> None:
        output = log_file.open("ab") if log_file else None
        self.children[name] = subprocess.Popen(  # noqa: S603 (our own binaries)
            command,
            env=self.child_env() | (env or {}),
            stdout=output,
            stderr=output,
            # Before exec, so every thread the process starts inherits it.
            preexec_fn=(lambda: os.nice(nice)) if nice else None,
        )

    def run(self) -> int:
        busy = [
            f"{port} ({what})"
            for port, what in (
                (self.temporal_port, "Temporal"),
                (self.ui_port, "Temporal UI"),
                (self.settings.receiver_port, "receiver"),
                *([(self.fake_moota_port, "fake Moota")] if self.fake_moota_port else []),
            )
            if _port_in_use(port)
        ]
        if busy:
            print(
                f"error: port {', '.join(busy)} already in use; is another `mootaflow dev` "
                "running? Stop it or choose other ports (--port, --temporal-port, --ui-port, "
                "--fake-moota-port).",
                file=sys.stderr,
            )
            return 1
        # `kill` or a service manager sends SIGTERM: stop the children as for Ctrl-C.
        # SIGINT too, explicitly: started in the background by a script, the process
        # inherits SIGINT ignored, and Python then leaves it ignored.
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, _interrupt)
        self.var.mkdir(parents=True, exist_ok=True)
        temporal_log = self.var / "temporal.log"
        self.spawn(
            "temporal",
            dev_server_command(
                self.var / "temporal.db", port=self.temporal_port, ui_port=self.ui_port
            ),
            temporal_log,
            nice=BACKGROUND_NICE,
        )
        try:
            print(f"Starting Temporal dev server (log: {temporal_log}) ...", flush=True)
            if not self._wait_for_temporal():
                print(
                    f"error: Temporal did not start; last lines of {temporal_log}:",
                    file=sys.stderr,
                )
                print(_tail(temporal_log), file=sys.stderr)
                return 1
            me = [sys.executable, "-m", "mootaflow.cli.main"]
            if self.fake_moota_port is not None:
                # Its webhook points at our receiver; it signs with the receiver's secret
                # (the first of MOOTAFLOW_WEBHOOK_SECRETS, else the dev secret, from the env).
                self.spawn(
                    "fake-moota",
                    [
                        *me,
                        "fake-moota",
                        "--port",
                        str(self.fake_moota_port),
                        "--webhook-url",
                        f"http://127.0.0.1:{self.settings.receiver_port}/webhooks/moota",
                        "--token",
                        FAKE_MOOTA_TOKEN,
                    ],
                    self.var / "fake-moota.log",
                )
            for n in range(1, self.workers + 1):
                self.spawn(worker_name(n), [*me, "worker"], env=self._worker_env(n))
            self.spawn("receiver", [*me, "receiver"])
            self._banner()
            return self._supervise()
        except KeyboardInterrupt:
            print("\nStopping ...", flush=True)
            return 0
        finally:
            self._stop_all()

    def _worker_env(self, n: int) -> dict[str, str]:
        """Worker n's own metrics port, the configured one plus n - 1, when one is set."""
        port = self.settings.worker_metrics_port
        return {} if port is None else {"MOOTAFLOW_WORKER_METRICS_PORT": str(port + n - 1)}

    def _wait_for_temporal(self) -> bool:
        settings = self.settings.model_copy(
            update={"temporal_address": f"127.0.0.1:{self.temporal_port}"}
        )

        async def probe() -> bool:
            deadline = time.monotonic() + _STARTUP_TIMEOUT
            while time.monotonic() < deadline:
                if self.children["temporal"].poll() is not None:
                    return False
                try:
                    client = await connect(settings)
                    await ensure_namespace(client, settings.temporal_namespace, MIN_RETENTION)
                    return True
                except Exception:
                    await asyncio.sleep(0.5)
            return False

        return asyncio.run(probe())

    def _banner(self) -> None:
        secret = (self.settings.webhook_secrets or [DEV_WEBHOOK_SECRET])[0]
        shown = secret if secret == DEV_WEBHOOK_SECRET else "(from MOOTAFLOW_WEBHOOK_SECRETS)"
        port = self.settings.receiver_port
        api_key = "(from MOOTAFLOW_API_KEYS)" if self.settings.api_keys else DEV_API_KEY
        finance = (
            "(from MOOTAFLOW_FINANCE_TOKENS)" if self.settings.finance_tokens else DEV_FINANCE_TOKEN
        )
        outbox = (
            f"SMTP {self.settings.smtp_host}:{self.settings.smtp_port}"
            if self.settings.smtp_host
            else f"no SMTP configured: emails are written to {self.settings.outbox_dir}/"
        )
        print(
            "\nmootaflow dev is running\n"
            f"  receiver        http://127.0.0.1:{port}/webhooks/moota\n"
            f"  health          http://127.0.0.1:{port}/readyz\n"
            f"  Temporal UI     http://127.0.0.1:{self.ui_port}\n"
            f"  Temporal gRPC   127.0.0.1:{self.temporal_port}\n"
            f"  workers         {self.workers} (--workers)\n"
            f"  webhook secret  {shown}\n"
            f"  merchant API    key {api_key}  (Authorization: Bearer ...)\n"
            f"  finance API     token {finance}\n"
            f"  outbox          {outbox}\n"
            f"  data            {self.var}/ (kept between runs)\n"
            f"{self._fake_moota_lines()}"
            "Try it:  mootaflow orders create --account 1234567890 --amount 150000 "
            "--email you@example.com\n"
            "         mootaflow simulate --account 1234567890 --amount <the amount it printed>\n"
            "Ctrl-C stops everything.\n",
            flush=True,
        )

    def _fake_moota_lines(self) -> str:
        if self.fake_moota_port is None:
            return ""
        base = f"http://127.0.0.1:{self.fake_moota_port}"
        return (
            f"  fake Moota      {base}/api/v2  (token {FAKE_MOOTA_TOKEN}; "
            f"log {self.var}/fake-moota.log)\n"
            f"                  bank ids and what it saw: {base}/_fake/state\n"
            f"                  a transfer, pushed to the receiver: POST {base}/api/v2/mutation/"
            'store/BANK_ID {"amount": "<amount>", "type": "CR"}\n'
            f"  reconcile       schedule mootaflow-reconcile, every "
            f"{self.settings.reconcile_interval_minutes} min; lose webhooks with POST "
            f'{base}/_fake/webhook {{"drop_share": 1}}\n'
        )

    def _supervise(self) -> int:
        while True:
            for name, child in self.children.items():
                code = child.poll()
                if code is not None:
                    print(f"error: {name} exited with status {code}; stopping", file=sys.stderr)
                    return 1
            time.sleep(0.5)

    def _stop_all(self) -> None:
        # Receiver first (stop accepting), then the workers, then Temporal.
        workers = [worker_name(n) for n in range(1, self.workers + 1)]
        order = ("receiver", *workers, "fake-moota", "temporal")
        stop_in_order([self.children[name] for name in order if name in self.children])


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
