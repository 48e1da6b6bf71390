"""`dbt build` of the whole project against the fakesnow server on synthetic data, with the dev
values: only host/port/protocol change, so the profile is the one every environment uses."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import snowflake.connector

from parity.stack import Service
from tests.platform.conftest import DEVENV, ROOT, workload_env

pytestmark = pytest.mark.integration


def dbt(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DEVENV / "venvs/dbt/bin/dbt", *args, "--profiles-dir", project, "--project-dir", project],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=project,
    )


@pytest.fixture(scope="module")
def dbt_run(
    dev_values: dict[str, str], fakesnow: Service, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("dbt")
    shutil.copytree(
        ROOT / "pipelines/dbt", work / "dbt", ignore=shutil.ignore_patterns("target", "dbt_packages", "logs")
    )
    shutil.copytree(ROOT / "pipelines/dbt_packages_vendor", work / "dbt_packages_vendor")
    subprocess.run(
        [sys.executable, "-m", "datagen.generate", work / "dbt/seeds"],
        check=True,
        cwd=ROOT / "pipelines",
        capture_output=True,
    )
    host, port = fakesnow.address.split(":")
    env = workload_env(
        dev_values,
        FINSIGHT_SNOWFLAKE_HOST=host,
        FINSIGHT_SNOWFLAKE_PORT=port,
        FINSIGHT_SNOWFLAKE_PROTOCOL="http",
        FINSIGHT_SNOWFLAKE_SCHEMA="CI_PLATFORM_TEST",
        DBT_ENV_SECRET_SNOWFLAKE_PASSWORD="unused-by-fakesnow",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    connection = snowflake.connector.connect(
        account="local",
        user="ci",
        password="unused",
        host=host,
        port=int(port),
        protocol="http",
    )
    for database in (
        dev_values["FINSIGHT_SNOWFLAKE_DATABASE"],
        dev_values["FINSIGHT_SNOWFLAKE_RAW_DATABASE"],
    ):
        connection.cursor().execute(f"create database if not exists {database}")
    connection.close()
    project = work / "dbt"
    steps = {
        name: dbt(project, env, *args)
        for name, args in [
            ("deps", ["deps"]),
            ("seed", ["seed"]),
            ("build", ["build", "--exclude", "resource_type:seed"]),
        ]
    }
    results = json.loads((project / "target/run_results.json").read_text())
    manifest = json.loads((project / "target/manifest.json").read_text())
    return {"steps": steps, "results": results, "manifest": manifest}


def test_deps_seed_and_build_succeed(dbt_run: dict[str, Any]) -> None:
    for name, done in dbt_run["steps"].items():
        assert done.returncode == 0, f"dbt {name}:\n{done.stdout[-3000:]}"


def test_the_manifest_holds_40_models_with_enforced_contracts_on_marts(dbt_run: dict[str, Any]) -> None:
    models = [n for n in dbt_run["manifest"]["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) == 40
    marts = [m for m in models if m["fqn"][1] == "marts"]
    assert len(marts) == 14
    assert all(m["config"]["contract"]["enforced"] for m in marts)


def test_every_model_and_test_passed(dbt_run: dict[str, Any]) -> None:
    statuses = {r["unique_id"]: r["status"] for r in dbt_run["results"]["results"]}
    assert sum(1 for uid in statuses if uid.startswith("model.")) == 40
    assert sum(1 for uid in statuses if uid.startswith("test.")) >= 60
    assert {uid: s for uid, s in statuses.items() if s not in {"success", "pass"}} == {}
