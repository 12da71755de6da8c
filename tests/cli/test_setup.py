"""`mootaflow setup` against a real Temporal server (the dev server) and database."""

import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from mootaflow.domain.settings import Settings
from mootaflow.workflows import search_attributes
from tests.support.processes import clean_env, run_mootaflow


async def test_setup_creates_namespace_and_search_attributes_idempotently(
    settings: Settings, client: Client, tmp_path: Path
) -> None:
    namespace = f"mf-{uuid.uuid4().hex[:8]}"
    env = clean_env(
        MOOTAFLOW_DATABASE_URL=settings.database_url,
        MOOTAFLOW_TEMPORAL_ADDRESS=settings.temporal_address,
        MOOTAFLOW_TEMPORAL_NAMESPACE=namespace,
        MOOTAFLOW_TEMPORAL_RETENTION_DAYS="30",
    )
    first = await run_mootaflow("setup", env=env, cwd=tmp_path)
    assert first.code == 0, first.stderr
    assert f"namespace {namespace} created with 30 days retention" in first.stdout
    assert "search attributes added: AmountIdr, FlagReason" in first.stdout

    described = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=namespace)
    )
    assert described.config.workflow_execution_retention_ttl.ToTimedelta() == timedelta(days=30)
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    assert {key.name for key in search_attributes.ALL} <= set(listed.custom_attributes)

    again = await run_mootaflow("setup", env=env, cwd=tmp_path)
    assert again.code == 0, again.stderr
    assert "exists with 30 days retention" in again.stdout
    assert "search attributes ok" in again.stdout


async def test_setup_refuses_short_retention(tmp_path: Path) -> None:
    result = await run_mootaflow(
        "setup", env=clean_env(MOOTAFLOW_TEMPORAL_RETENTION_DAYS="7"), cwd=tmp_path
    )
    assert result.code == 2
    assert "MOOTAFLOW_TEMPORAL_RETENTION_DAYS" in result.stderr
