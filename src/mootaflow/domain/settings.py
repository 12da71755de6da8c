"""All configuration in one class: environment variables prefixed MOOTAFLOW_ (and `.env`)."""

import ipaddress
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Public on purpose: it signs sandbox deliveries in `mootaflow dev` and is refused elsewhere.
DEV_WEBHOOK_SECRET = "mootaflow-dev-secret"  # noqa: S105
DEV_API_KEY = "mootaflow-dev-api-key"
DEV_FINANCE_TOKEN = "mootaflow-dev-finance-token"  # noqa: S105
DEV_CONSOLE_SECRET = "mootaflow-dev-console-session-secret"  # noqa: S105
DEV_TEMPORAL_UI_URL = "http://127.0.0.1:8233"
# The service's own order references, e.g. MF-7K3P-9QXZ; banks may drop or
# change the separators, upper/lower-case the text, or break it anywhere with a
# space where their fixed-width description fields wrap.
DEFAULT_ORDER_REF_PATTERN = r"MF(?:[\s._/-]*[0-9A-Z]){8}"
DEFAULT_MOOTA_API_URL = "https://app.moota.co/api/v2"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
CommaList = Annotated[list[str], NoDecode]


_SQLITE = "sqlite+aiosqlite:///"


def _is_sqlite(url: str) -> bool:
    return url.startswith(_SQLITE)


def _split_query(path: str) -> tuple[str, str]:
    base, mark, query = path.partition("?")
    return base, mark + query


class SettingsError(ValueError):
    """Configuration is missing or invalid; the message says what to fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MOOTAFLOW_", env_file=".env", extra="ignore", frozen=True
    )

    env: Literal["production", "dev"] = Field(
        default="production", description="'dev' only under `mootaflow dev`."
    )
    webhook_secrets: CommaList = Field(
        default_factory=list, description="Moota webhook secret tokens, comma-separated."
    )
    database_url: str = "sqlite+aiosqlite:///./var/mootaflow.db"
    # SQLite only: the receiving tables (deliveries, inbox, quarantine, reconcile
    # passes) in a file of their own, so the webhook's write lock is one no worker
    # step holds. Unset: next to the main file (mootaflow-inbox.db beside mootaflow.db).
    inbox_database_url: str | None = None
    # Connections per process. A worker runs at most worker_max_activities attempts
    # through the server and as many first attempts in the worker at once, each
    # holding one connection at a time: the pool must have one for each, or
    # attempts queue for a connection instead of doing their work.
    database_pool_size: int = Field(default=20, ge=1, le=1000)
    database_max_overflow: int = Field(default=0, ge=0, le=1000)
    # How long a step waits for a free connection (and, on SQLite, for the write
    # lock) before failing its attempt; shorter than a database step's timeout
    # (10 s), so a starved attempt fails and backs off instead of timing out
    # while Temporal already runs its retry.
    database_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "mootaflow"
    temporal_retention_days: int = Field(default=14, ge=14, le=3650)
    # Delivery audit rows are purged after this many days (at least 14).
    audit_retention_days: int = Field(default=30, ge=14, le=3650)

    receiver_host: str = "127.0.0.1"
    receiver_port: int = Field(default=8000, ge=1, le=65535)
    allowed_ips: CommaList = Field(
        default_factory=list, description="IPs/CIDRs allowed to post webhooks; empty allows all."
    )
    trusted_proxies: CommaList = Field(
        default_factory=list, description="Peers whose X-Forwarded-For is believed."
    )
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    # A body still arriving after this is refused (408): slow-loris protection.
    body_timeout_seconds: float = Field(default=10.0, gt=0, le=300)

    # Per client address, on /webhooks/ and /api/; 0 disables. Moota sends from one
    # address, so keep this well above its real peak.
    rate_limit_per_second: float = Field(default=200, ge=0)
    rate_limit_burst: int = Field(default=400, ge=1)

    start_concurrency: int = Field(default=8, ge=1, le=256)
    start_queue_size: int = Field(default=10_000, ge=1)
    redrive_interval_seconds: float = Field(default=5.0, gt=0, le=3600)

    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|console)$")

    api_keys: CommaList = Field(default_factory=list, description="Merchant API keys.")

    # Moota's kode unik: the last three digits of the amount to pay. Set these to
    # your Moota webhook's start_unique_code / end_unique_code.
    unique_code_min: int = Field(default=1, ge=0, le=999)
    unique_code_max: int = Field(default=999, ge=0, le=999)
    order_expiry_minutes: int = Field(default=24 * 60, ge=1, le=60 * 24 * 90)
    # An expired order's amount is not given to a new order for this long, so a
    # late payer's transfer is flagged for finance instead of paying a stranger.
    amount_reuse_days: int = Field(default=7, ge=0, le=365)
    order_ref_pattern: str = DEFAULT_ORDER_REF_PATTERN
    high_value_threshold: Decimal = Field(default=Decimal(100_000_000), gt=0)
    test_accounts: CommaList = Field(
        default_factory=list,
        description="Account numbers or Moota bank ids whose mutations are tests (ignored).",
    )

    seller_name: str = "mootaflow merchant"
    seller_address: str = ""
    seller_tax_id: str = ""
    seller_email: str = ""

    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    mail_from: str = "mootaflow <payments@localhost>"
    outbox_dir: Path = Path("var/outbox")

    merchant_callback_url: str | None = None
    merchant_callback_secret: str | None = None

    finance_tokens: CommaList = Field(
        default_factory=list, description="Finance API tokens as NAME:TOKEN, comma-separated."
    )
    finance_email: str | None = None
    approval_reminder_hours: float = Field(default=24, gt=0)
    approval_timeout_hours: float = Field(default=72, gt=0)
    # The API and the CLI wait this long for a worker to take a decision; then 503,
    # and the decision expires unapplied (a worker coming back later refuses it).
    decision_accept_seconds: float = Field(default=5.0, gt=0, le=60)
    # Once taken, how long they wait for its outcome (booked with the invoice, or
    # rejected) before answering 202: the decision is then durable and completes.
    decision_result_seconds: float = Field(default=30.0, gt=0, le=600)
    # A partially paid order stays open at least this long after each part arrives.
    partial_payment_extend_days: float = Field(default=7, gt=0, le=365)

    # Worker capacity: activities at once (at most half the database pool), and how long
    # a stopping worker lets running activities finish (longer than the longest
    # activity attempt, 45 s; the container's stop grace period must be longer still).
    worker_max_activities: int = Field(default=10, ge=1, le=1000)
    worker_shutdown_seconds: float = Field(default=60.0, gt=0, le=3600)
    # How much the worker lowers its own CPU priority (Unix nice increment). Where the
    # receiver shares the CPUs (`mootaflow dev` sets 19), acknowledgements go first:
    # the worker needs throughput, a webhook's answer latency.
    worker_nice: int = Field(default=0, ge=0, le=19)
    # Run workflows in Temporal's sandbox, which imports the workflow modules again for
    # each run and refuses what breaks determinism (datetime.now, random, I/O): about a
    # quarter of the worker's CPU per payment. The code it checks ships with the
    # release, so the checks belong before it: the test suite runs every workflow in it.
    worker_sandbox: bool = False
    # Prometheus endpoint of the worker (Temporal SDK metrics and mootaflow's own);
    # unset: none.
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    worker_metrics_host: str = "127.0.0.1"

    # --- Finance console (/finance).
    # Signs its session cookies: every receiver replica must have the same one, or a
    # clerk is signed out whenever the load balancer picks another replica. Several,
    # comma-separated, during rotation: the first signs, any verifies. Unset outside
    # dev: the console is off (its pages say how to turn it on).
    console_session_secret: CommaList = Field(
        default_factory=list, description="Console session signing secrets, comma-separated."
    )
    # A sign-in lasts this long, then the clerk signs in again (the cookie carries its
    # expiry, checked by every replica; signing out deletes it).
    console_session_hours: float = Field(default=8, gt=0, le=24 * 7)
    # Labels of the console: Bahasa Indonesia or English.
    language: Literal["id", "en"] = "id"
    # The Temporal Web UI, for links from a payment's page to its workflow; unset: no
    # link (in dev: the dev server's UI).
    temporal_ui_url: str | None = None

    # --- Moota API v2 (reconciliation, write-back, "I have paid" checks).
    moota_api_url: str = Field(
        default=DEFAULT_MOOTA_API_URL, description="Base URL of Moota's API v2."
    )
    # SecretStr: the token stays out of reprs, logs and error messages.
    # None (unset or empty) turns the features that need the API off.
    moota_api_token: SecretStr | None = Field(
        default=None, description="Moota API token (Apps & API page); unset disables the API."
    )

    # Reconciliation (a Temporal schedule; off without a token): how often, and how
    # many days before its cursor each pass starts listing (see README, Reconciliation).
    reconcile_interval_minutes: int = Field(default=15, ge=1, le=24 * 60)
    reconcile_overlap_days: int = Field(default=1, ge=1, le=31)
    # Notes and tags written back to Moota's mutations; None: on when a token is set.
    moota_write_back: bool | None = Field(
        default=None, description="Write invoice notes and tags back to Moota (default: on)."
    )

    @field_validator("moota_api_url")
    @classmethod
    def _valid_api_url(cls, value: str) -> str:
        if not re.match(r"https?://[^\s/]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("temporal_ui_url")
    @classmethod
    def _valid_ui_url(cls, value: str | None) -> str | None:
        if value and not re.match(r"https?://[^\s/]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/") if value else None

    @field_validator("console_session_secret")
    @classmethod
    def _long_secrets(cls, value: list[str]) -> list[str]:
        if any(len(secret) < 16 for secret in value):
            raise ValueError("each secret must be at least 16 characters (use 32 random bytes)")
        return value

    @field_validator("moota_api_token", "moota_write_back", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator(
        "webhook_secrets",
        "allowed_ips",
        "trusted_proxies",
        "api_keys",
        "finance_tokens",
        "test_accounts",
        "console_session_secret",
        mode="before",
    )
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_ips", "trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or CIDR network") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _valid_level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("order_ref_pattern")
    @classmethod
    def _valid_pattern(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value

    @field_validator("finance_tokens")
    @classmethod
    def _named_tokens(cls, value: list[str]) -> list[str]:
        for entry in value:
            name, _, token = entry.partition(":")
            if not name.strip() or len(token.strip()) < 8:
                raise ValueError("each entry must be NAME:TOKEN with a token of 8+ characters")
        return value

    @field_validator("database_url", "inbox_database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(
            ("sqlite+aiosqlite:///", "postgresql+asyncpg://")
        ):
            raise ValueError(
                "must start with sqlite+aiosqlite:/// (embedded) or postgresql+asyncpg:// "
                "(e.g. postgresql+asyncpg://user:password@host:5432/mootaflow)"
            )
        return value

    @field_validator("merchant_callback_url")
    @classmethod
    def _valid_url(cls, value: str | None) -> str | None:
        if value and not re.match(r"https?://[^\s/]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value or None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.unique_code_min > self.unique_code_max:
            raise ValueError("MOOTAFLOW_UNIQUE_CODE_MIN is above MOOTAFLOW_UNIQUE_CODE_MAX")
        if self.approval_reminder_hours > self.approval_timeout_hours:
            raise ValueError(
                "MOOTAFLOW_APPROVAL_REMINDER_HOURS is above MOOTAFLOW_APPROVAL_TIMEOUT_HOURS"
            )
        if 2 * self.worker_max_activities > self.database_pool_size + self.database_max_overflow:
            raise ValueError(
                "MOOTAFLOW_WORKER_MAX_ACTIVITIES is above half the database pool "
                "(MOOTAFLOW_DATABASE_POOL_SIZE + MOOTAFLOW_DATABASE_MAX_OVERFLOW): a worker "
                "runs that many activities and as many first attempts in the worker, each "
                "with a connection; more would queue for one"
            )
        if self.moota_write_back and self.moota_api_token is None:
            raise ValueError(
                "MOOTAFLOW_MOOTA_WRITE_BACK is on but MOOTAFLOW_MOOTA_API_TOKEN is not set"
            )
        inbox = self.inbox_database_url
        both_sqlite = _is_sqlite(self.database_url) and _is_sqlite(inbox or "")
        if inbox and inbox != self.database_url and not both_sqlite:
            raise ValueError(
                "MOOTAFLOW_INBOX_DATABASE_URL is for SQLite only (both URLs "
                "sqlite+aiosqlite:///); on PostgreSQL leave it unset: one database, "
                "whose row locks never make the webhook wait for a worker"
            )
        if self.merchant_callback_url and not self.merchant_callback_secret:
            raise ValueError(
                "MOOTAFLOW_MERCHANT_CALLBACK_URL is set without MOOTAFLOW_MERCHANT_CALLBACK_SECRET"
            )
        return self

    @property
    def receiving_database_url(self) -> str:
        """Where the receiving tables live: MOOTAFLOW_INBOX_DATABASE_URL, else on SQLite
        a file beside the main one (NAME-inbox.db), else the main database."""
        if self.inbox_database_url:
            return self.inbox_database_url
        if not _is_sqlite(self.database_url):
            return self.database_url
        path, query = _split_query(self.database_url.removeprefix(_SQLITE))
        if not path or path.startswith(":memory:") or path.startswith("file:"):
            return self.database_url
        stem, dot, suffix = path.rpartition(".")
        if not dot or "/" in suffix:
            return f"{_SQLITE}{path}-inbox{query}"
        return f"{_SQLITE}{stem}-inbox.{suffix}{query}"

    @property
    def effective_api_keys(self) -> list[str]:
        if not self.api_keys and self.env == "dev":
            return [DEV_API_KEY]
        return list(self.api_keys)

    @property
    def merchant_callback_enabled(self) -> bool:
        """Callbacks are sent when both the URL and its signing secret are set."""
        return bool(self.merchant_callback_url and self.merchant_callback_secret)

    @property
    def write_back_enabled(self) -> bool:
        """Write-back runs when a token is set, unless turned off."""
        return self.moota_api_token is not None and self.moota_write_back is not False

    @property
    def finance_token_names(self) -> dict[str, str]:
        """token -> the name of the person it belongs to (recorded on decisions)."""
        tokens = {}
        for entry in self.finance_tokens:
            name, _, token = entry.partition(":")
            tokens[token.strip()] = name.strip()
        if not tokens and self.env == "dev":
            tokens[DEV_FINANCE_TOKEN] = "dev-finance"
        return tokens

    @property
    def console_secrets(self) -> list[str]:
        """Session signing secrets, the signing one first; empty: the console is off."""
        if not self.console_session_secret and self.env == "dev":
            return [DEV_CONSOLE_SECRET]
        return list(self.console_session_secret)

    @property
    def temporal_ui(self) -> str | None:
        if self.temporal_ui_url is None and self.env == "dev":
            return DEV_TEMPORAL_UI_URL
        return self.temporal_ui_url.rstrip("/") if self.temporal_ui_url else None

    @property
    def allowed_networks(self) -> tuple[IPNetwork, ...]:
        return _networks(tuple(self.allowed_ips))

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        return _networks(tuple(self.trusted_proxies))

    @property
    def effective_webhook_secrets(self) -> list[str]:
        """The configured secrets; in dev mode with none configured, the public dev secret."""
        if not self.webhook_secrets and self.env == "dev":
            return [DEV_WEBHOOK_SECRET]
        return list(self.webhook_secrets)

    def require_production_secrets(self) -> None:
        """Outside dev mode, refuse to run without real secrets, and say which."""
        if self.env == "dev":
            return
        if not self.webhook_secrets:
            raise SettingsError(
                "MOOTAFLOW_WEBHOOK_SECRETS is not set: put the secret token of your Moota "
                "webhook there (comma-separate several during rotation)"
            )
        if DEV_WEBHOOK_SECRET in self.webhook_secrets:
            raise SettingsError(
                "MOOTAFLOW_WEBHOOK_SECRETS contains the public dev secret; "
                "use the secret token configured on your Moota webhook"
            )
        if DEV_API_KEY in self.api_keys:
            raise SettingsError("MOOTAFLOW_API_KEYS contains the public dev API key")
        if not self.finance_tokens:
            raise SettingsError(
                "MOOTAFLOW_FINANCE_TOKENS is not set: flagged payments could never be decided "
                "through mootaflow; set NAME:TOKEN pairs for the people in finance"
            )
        if any(
            entry.partition(":")[2].strip() == DEV_FINANCE_TOKEN for entry in self.finance_tokens
        ):
            raise SettingsError("MOOTAFLOW_FINANCE_TOKENS contains the public dev finance token")
        if DEV_CONSOLE_SECRET in self.console_session_secret:
            raise SettingsError(
                "MOOTAFLOW_CONSOLE_SESSION_SECRET contains the public dev secret; "
                "generate one (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )


@lru_cache(maxsize=64)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    # Asked on every request (allowlist, proxies, rate limit): parse each list once.
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning validation errors into one readable SettingsError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            if error["loc"]:
                name = "MOOTAFLOW_" + "_".join(str(part) for part in error["loc"]).upper()
                problems.append(f"{name}: {message}")
            else:
                problems.append(message)
        raise SettingsError("invalid settings:\n  " + "\n  ".join(problems)) from None
