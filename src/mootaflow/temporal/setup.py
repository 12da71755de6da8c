"""Preparing a Temporal namespace for mootaflow: retention and search attributes.

Used by `mootaflow setup` (real clusters) and `mootaflow dev` (the dev server).
Every step checks before it changes anything, so running it again is harmless.
"""

import asyncio
from datetime import timedelta

from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    RegisterNamespaceRequest,
    UpdateNamespaceRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType
from temporalio.service import RPCError, RPCStatusCode

from mootaflow.workflows import search_attributes

# Workflow-id de-duplication lasts as long as the retention: keep it well past
# the window in which Moota re-sends (the database constraints cover the rest).
MIN_RETENTION = timedelta(days=14)

_INDEXED = {
    SearchAttributeIndexedValueType.KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    SearchAttributeIndexedValueType.INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
}


class SetupError(RuntimeError):
    """The namespace or its search attributes cannot be brought to what mootaflow needs."""


async def ensure_namespace(client: Client, namespace: str, retention: timedelta) -> str:
    """Create the namespace, or raise its retention to `retention`; says what it did."""
    if retention < MIN_RETENTION:
        raise SetupError(f"retention must be at least {MIN_RETENTION.days} days")
    ttl = Duration()
    ttl.FromTimedelta(retention)
    try:
        described = await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace)
        )
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        await client.workflow_service.register_namespace(
            RegisterNamespaceRequest(namespace=namespace, workflow_execution_retention_period=ttl)
        )
        return f"namespace {namespace} created with {retention.days} days retention"
    current = described.config.workflow_execution_retention_ttl.ToTimedelta()
    if current >= retention:
        return f"namespace {namespace} exists with {current.days} days retention"
    await client.workflow_service.update_namespace(
        UpdateNamespaceRequest(
            namespace=namespace, config=NamespaceConfig(workflow_execution_retention_ttl=ttl)
        )
    )
    return f"namespace {namespace} retention raised from {current.days} to {retention.days} days"


async def ensure_search_attributes(client: Client, namespace: str) -> list[str]:
    """Register the design's search attributes that are missing; returns their names."""
    wanted = {key.name: _INDEXED[key.indexed_value_type] for key in search_attributes.ALL}
    # A namespace registered a moment ago can take seconds to reach every frontend.
    for attempt in range(30):
        try:
            listed = await client.operator_service.list_search_attributes(
                ListSearchAttributesRequest(namespace=namespace)
            )
            break
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND or attempt == 29:
                raise
            await asyncio.sleep(1)
    existing = dict(listed.custom_attributes)
    wrong = [name for name, kind in wanted.items() if name in existing and existing[name] != kind]
    if wrong:
        raise SetupError(f"search attributes registered with another type: {', '.join(wrong)}")
    missing = {name: kind for name, kind in wanted.items() if name not in existing}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)
