"""docker-compose.yml, Dockerfile and .env.example are checked here, since no Docker
engine runs on this machine: parsed, cross-checked against the settings class, linted."""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mootaflow.domain.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {f"MOOTAFLOW_{name.upper()}" for name in Settings.model_fields}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def test_every_service_has_an_image_or_a_build(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        assert "image" in service or "build" in service, name
        image = service.get("image", "")
        assert not image.endswith(":latest") or "build" in service, f"{name} pins no version"


def test_the_stack_has_the_documented_parts(compose: dict[str, Any]) -> None:
    names = set(services(compose))
    assert {
        "postgresql",
        "temporal",
        "temporal-ui",
        "mootaflow-setup",
        "receiver",
        "worker",
    } <= names
    images = {s.get("image", "").split(":")[0] for s in services(compose).values()}
    assert {"postgres", "temporalio/server", "temporalio/admin-tools", "temporalio/ui"} <= images
    for name in ("receiver", "worker"):
        assert services(compose)[name]["deploy"]["replicas"] == 2
        assert services(compose)[name]["build"] == "."
    assert services(compose)["mootaflow-setup"]["command"] == ["setup"]


def test_start_order(compose: dict[str, Any]) -> None:
    def waits_for(service: str) -> dict[str, str]:
        depends = services(compose)[service].get("depends_on", {})
        return {name: spec["condition"] for name, spec in depends.items()}

    assert waits_for("temporal-schema") == {"postgresql": "service_healthy"}
    assert waits_for("temporal") == {"temporal-schema": "service_completed_successfully"}
    assert waits_for("mootaflow-setup") == {
        "postgresql": "service_healthy",
        "temporal": "service_healthy",
    }
    for name in ("receiver", "worker"):
        assert waits_for(name) == {"mootaflow-setup": "service_completed_successfully"}
    # Every condition on a health state refers to a service that has a health check.
    for service in services(compose).values():
        for name, spec in service.get("depends_on", {}).items():
            if spec["condition"] == "service_healthy":
                assert "test" in services(compose)[name]["healthcheck"], name


def test_receiver_health_checks_use_the_probes(compose: dict[str, Any]) -> None:
    check = " ".join(services(compose)["receiver"]["healthcheck"]["test"])
    assert "/readyz" in check
    assert "/healthz" in (ROOT / "Dockerfile").read_text()


def test_environment_names_are_real_settings(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        for variable in service.get("environment", {}):
            if variable.startswith("MOOTAFLOW_"):
                assert variable in SETTINGS, f"{name}: {variable} is not a setting"


def test_env_example_documents_every_setting() -> None:
    text = (ROOT / ".env.example").read_text()
    mentioned = set(re.findall(r"^#? ?(MOOTAFLOW_[A-Z_]+)=", text, flags=re.MULTILINE))
    assert mentioned == SETTINGS, (mentioned - SETTINGS, SETTINGS - mentioned)


def test_env_example_values_are_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / ".env.example").read_text()
    for variable, value in re.findall(r"^(MOOTAFLOW_[A-Z_]+)=(.*)$", text, flags=re.MULTILINE):
        monkeypatch.setenv(variable, value)
    Settings(_env_file=None).require_production_secrets()


def test_ports(compose: dict[str, Any]) -> None:
    pattern = re.compile(r"^(127\.0\.0\.1:)?\d+(-\d+)?:\d+$")
    for service in services(compose).values():
        for port in service.get("ports", []):
            assert pattern.match(str(port)), port


def test_dockerfile_is_slim_non_root_and_lints_clean() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, flags=re.MULTILINE)
    assert all(image.startswith("python:3.11-slim") for image in stages)
    final = dockerfile.rsplit("\nFROM ", 1)[1]
    assert re.search(r"^USER (?!root|0\b)\w+", final, flags=re.MULTILINE)
    assert "HEALTHCHECK" in final
    assert "gcc" not in final and "build-essential" not in final
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run(
        [str(hadolint), "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workers_stop_gracefully_and_expose_metrics(compose: dict[str, Any]) -> None:
    worker = services(compose)["worker"]
    # Compose's SIGKILL comes after the worker's own graceful shutdown, which comes
    # after the longest activity attempt (checked at start-up: temporal.worker.check_capacity).
    grace = worker["stop_grace_period"]
    assert grace.endswith("s")
    shutdown = Settings.model_fields["worker_shutdown_seconds"].default
    assert int(grace.removesuffix("s")) > shutdown
    environment = worker["environment"]
    assert environment["MOOTAFLOW_WORKER_METRICS_HOST"] == "0.0.0.0"
    port = environment["MOOTAFLOW_WORKER_METRICS_PORT"]
    assert any(str(p).endswith(f":{port}") for p in worker["ports"])
    # The worker's own environment replaces the shared one: it must still point at both.
    assert environment["MOOTAFLOW_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert environment["MOOTAFLOW_TEMPORAL_ADDRESS"] == "temporal:7233"
