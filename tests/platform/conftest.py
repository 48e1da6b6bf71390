"""Fixtures that run FinSight's real workloads locally: rendered overlays, the dev values as
environment variables, and the local stand-ins (Kafka broker, LocalStack, fakesnow)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from parity.gates.workloads import workload_env  # noqa: F401 - re-exported for the platform tests
from parity.stack import Service, start_fakesnow, start_kafka, start_localstack

ROOT = Path(__file__).resolve().parents[2]
DEVENV = Path(os.environ.get("PARITY_DEVENV", ROOT / ".devenv"))
ENVS = ["dev", "staging", "prod", "ephemeral"]


def kustomize_build(overlay: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        [DEVENV / "bin" / "kustomize", "build", overlay], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {env: kustomize_build(ROOT / "overlays" / env) for env in ENVS}


def platform_values(documents: list[dict[str, Any]]) -> dict[str, str]:
    config = next(
        d for d in documents if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "platform-values"
    )
    return dict(config["data"])


@pytest.fixture(scope="session")
def dev_values(rendered: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """The dev environment's values exactly as its pods receive them (platform-values ConfigMap)."""
    return platform_values(rendered["dev"])


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    service = start_kafka(DEVENV, tmp_path_factory.mktemp("kafka"))
    yield service
    service.stop()


@pytest.fixture(scope="session")
def localstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    service = start_localstack(DEVENV, tmp_path_factory.mktemp("localstack"))
    yield service
    service.stop()


@pytest.fixture(scope="session")
def fakesnow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    service = start_fakesnow(DEVENV, tmp_path_factory.mktemp("fakesnow"))
    yield service
    service.stop()
