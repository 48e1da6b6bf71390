"""Workloads fail fast at start-up, in one line naming the key and where it was expected, when a
value is missing or malformed. Tested in each workload image's venv."""

from __future__ import annotations

import subprocess

import pytest

from tests.platform.conftest import DEVENV, ROOT, workload_env

pytestmark = pytest.mark.integration

LOAD = "from platform_settings import load; load(); print('loaded')"


@pytest.mark.parametrize("venv", ["airflow", "spark", "streaming"])
def test_complete_values_load(venv: str, dev_values: dict[str, str]) -> None:
    env = workload_env(dev_values, PYTHONPATH=f"{ROOT}/pipelines/common")
    done = subprocess.run(
        [DEVENV / f"venvs/{venv}/bin/python", "-c", LOAD], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "loaded"


@pytest.mark.parametrize("venv", ["airflow", "spark", "streaming"])
def test_missing_value_is_one_line_naming_key_and_source(venv: str, dev_values: dict[str, str]) -> None:
    values = {k: v for k, v in dev_values.items() if k != "FINSIGHT_CURATED_BUCKET"}
    env = workload_env(values, PYTHONPATH=f"{ROOT}/pipelines/common")
    done = subprocess.run(
        [DEVENV / f"venvs/{venv}/bin/python", "-c", LOAD], capture_output=True, text=True, env=env
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "curated_bucket is missing: expected env var FINSIGHT_CURATED_BUCKET or file" in done.stderr


@pytest.mark.parametrize("venv", ["airflow", "spark", "streaming"])
def test_malformed_value_is_named(venv: str, dev_values: dict[str, str]) -> None:
    env = workload_env(
        {**dev_values, "FINSIGHT_AWS_ACCOUNT_ID": "dev-account"}, PYTHONPATH=f"{ROOT}/pipelines/common"
    )
    done = subprocess.run(
        [DEVENV / f"venvs/{venv}/bin/python", "-c", LOAD], capture_output=True, text=True, env=env
    )
    assert done.returncode == 2
    assert "aws_account_id is invalid" in done.stderr and "FINSIGHT_AWS_ACCOUNT_ID" in done.stderr


def test_dbt_names_the_missing_env_var(dev_values: dict[str, str]) -> None:
    values = {k: v for k, v in dev_values.items() if k != "FINSIGHT_SNOWFLAKE_ACCOUNT"}
    project = ROOT / "pipelines/dbt"
    env = workload_env(values, DBT_ENV_SECRET_SNOWFLAKE_PASSWORD="x", DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    done = subprocess.run(
        [DEVENV / "venvs/dbt/bin/dbt", "debug", "--profiles-dir", project, "--project-dir", project],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode != 0
    assert "FINSIGHT_SNOWFLAKE_ACCOUNT" in done.stdout + done.stderr
