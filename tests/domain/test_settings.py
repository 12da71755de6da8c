import pytest

from mootaflow.domain.settings import DEV_WEBHOOK_SECRET, Settings, SettingsError, load_settings


def test_comma_separated_lists_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOOTAFLOW_WEBHOOK_SECRETS", "old, new ,")
    monkeypatch.setenv("MOOTAFLOW_ALLOWED_IPS", "103.236.201.178,10.0.0.0/8")
    settings = load_settings(_env_file=None)
    assert settings.webhook_secrets == ["old", "new"]
    assert [str(n) for n in settings.allowed_networks] == ["103.236.201.178/32", "10.0.0.0/8"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MOOTAFLOW_ALLOWED_IPS", "not-an-ip", "MOOTAFLOW_ALLOWED_IPS"),
        ("MOOTAFLOW_RECEIVER_PORT", "eighty", "MOOTAFLOW_RECEIVER_PORT"),
        ("MOOTAFLOW_MAX_BODY_BYTES", "10", "MOOTAFLOW_MAX_BODY_BYTES"),
        ("MOOTAFLOW_LOG_LEVEL", "loud", "MOOTAFLOW_LOG_LEVEL"),
        ("MOOTAFLOW_ENV", "staging", "MOOTAFLOW_ENV"),
        ("MOOTAFLOW_DATABASE_URL", "mysql://x", "postgresql\\+asyncpg://"),
        ("MOOTAFLOW_AUDIT_RETENTION_DAYS", "7", "MOOTAFLOW_AUDIT_RETENTION_DAYS"),
        ("MOOTAFLOW_RATE_LIMIT_PER_SECOND", "-1", "MOOTAFLOW_RATE_LIMIT_PER_SECOND"),
        ("MOOTAFLOW_FINANCE_TOKENS", "Sari", "NAME:TOKEN"),
        ("MOOTAFLOW_UNIQUE_CODE_MAX", "0", "above MOOTAFLOW_UNIQUE_CODE_MAX"),
        # Moota's kode unik is three digits.
        ("MOOTAFLOW_UNIQUE_CODE_MAX", "1000", "less than or equal to 999"),
        ("MOOTAFLOW_AMOUNT_REUSE_DAYS", "-1", "greater than or equal to 0"),
        ("MOOTAFLOW_WORKER_MAX_ACTIVITIES", "11", "above half the database pool"),
        ("MOOTAFLOW_WORKER_METRICS_PORT", "0", "MOOTAFLOW_WORKER_METRICS_PORT"),
        ("MOOTAFLOW_DECISION_ACCEPT_SECONDS", "0", "MOOTAFLOW_DECISION_ACCEPT_SECONDS"),
        ("MOOTAFLOW_RECONCILE_INTERVAL_MINUTES", "0", "MOOTAFLOW_RECONCILE_INTERVAL_MINUTES"),
        # Date-only bank dates and late crawls need at least a day of overlap.
        ("MOOTAFLOW_RECONCILE_OVERLAP_DAYS", "0", "MOOTAFLOW_RECONCILE_OVERLAP_DAYS"),
        ("MOOTAFLOW_MOOTA_WRITE_BACK", "perhaps", "MOOTAFLOW_MOOTA_WRITE_BACK"),
        ("MOOTAFLOW_MOOTA_WRITE_BACK", "true", "MOOTAFLOW_MOOTA_API_TOKEN is not set"),
    ],
)
def test_garbage_settings_give_one_readable_error(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        load_settings(_env_file=None)


def test_production_refuses_missing_or_dev_secret() -> None:
    with pytest.raises(SettingsError, match="MOOTAFLOW_WEBHOOK_SECRETS is not set"):
        Settings(_env_file=None).require_production_secrets()
    with pytest.raises(SettingsError, match="public dev secret"):
        Settings(
            _env_file=None,
            webhook_secrets=[DEV_WEBHOOK_SECRET],
        ).require_production_secrets()
    with pytest.raises(SettingsError, match="MOOTAFLOW_FINANCE_TOKENS is not set"):
        Settings(_env_file=None, webhook_secrets=["real"]).require_production_secrets()
    with pytest.raises(SettingsError, match="public dev finance token"):
        Settings(
            _env_file=None,
            webhook_secrets=["real"],
            finance_tokens=["Sari:mootaflow-dev-finance-token"],
        ).require_production_secrets()
    Settings(
        _env_file=None, webhook_secrets=["real"], finance_tokens=["Sari:long-enough-token"]
    ).require_production_secrets()


def test_dev_mode_falls_back_to_the_dev_secret() -> None:
    dev = Settings(_env_file=None, env="dev")
    dev.require_production_secrets()
    assert dev.effective_webhook_secrets == [DEV_WEBHOOK_SECRET]
    production = Settings(_env_file=None)
    assert production.effective_webhook_secrets == []


def test_write_back_is_on_with_a_token_unless_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not load_settings(_env_file=None).write_back_enabled
    monkeypatch.setenv("MOOTAFLOW_MOOTA_API_TOKEN", "a-moota-token")
    assert load_settings(_env_file=None).write_back_enabled
    monkeypatch.setenv("MOOTAFLOW_MOOTA_WRITE_BACK", "")  # empty: the default
    assert load_settings(_env_file=None).write_back_enabled
    monkeypatch.setenv("MOOTAFLOW_MOOTA_WRITE_BACK", "false")
    assert not load_settings(_env_file=None).write_back_enabled


def test_the_inbox_database_sits_beside_the_main_sqlite_file() -> None:
    def inbox_of(url: str, inbox_database_url: str | None = None) -> str:
        settings = Settings(_env_file=None, database_url=url, inbox_database_url=inbox_database_url)
        return settings.receiving_database_url

    assert inbox_of("sqlite+aiosqlite:///./var/mootaflow.db") == (
        "sqlite+aiosqlite:///./var/mootaflow-inbox.db"
    )
    assert (
        inbox_of("sqlite+aiosqlite:////srv/data/app") == "sqlite+aiosqlite:////srv/data/app-inbox"
    )
    assert inbox_of("sqlite+aiosqlite:///:memory:") == "sqlite+aiosqlite:///:memory:"
    # PostgreSQL: one database (its locks are per row).
    postgres = "postgresql+asyncpg://u:p@db:5432/mootaflow"
    assert inbox_of(postgres) == postgres
    chosen = "sqlite+aiosqlite:////fast/inbox.db"
    assert inbox_of("sqlite+aiosqlite:///a.db", inbox_database_url=chosen) == chosen
    # The old layout, one file, on request.
    one = "sqlite+aiosqlite:///a.db"
    assert inbox_of(one, inbox_database_url=one) == one


@pytest.mark.parametrize(
    ("main", "inbox", "message"),
    [
        ("postgresql+asyncpg://u:p@db/m", "sqlite+aiosqlite:///i.db", "SQLite only"),
        ("sqlite+aiosqlite:///m.db", "postgresql+asyncpg://u:p@db/m", "SQLite only"),
        ("sqlite+aiosqlite:///m.db", "mysql://x/y", "MOOTAFLOW_INBOX_DATABASE_URL"),
    ],
)
def test_an_inbox_database_that_cannot_work_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, main: str, inbox: str, message: str
) -> None:
    monkeypatch.setenv("MOOTAFLOW_DATABASE_URL", main)
    monkeypatch.setenv("MOOTAFLOW_INBOX_DATABASE_URL", inbox)
    with pytest.raises(SettingsError, match=message):
        load_settings(_env_file=None)
