"""Workloads fail fast at start-up, in one line naming the key and where it was expected, when a
value is missing or malformed. Tested in each workload image's venv."""

from __future__ import annotations

import json
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


KAFKA_AUTH = """
import base64, importlib.util, json
from platform_settings import load
s = load()
out = {"spark": s.kafka_spark_options()}
config = s.kafka_client_config()
# Only the streaming venv signs librdkafka tokens; Spark's Java client signs its own.
if importlib.util.find_spec("aws_msk_iam_sasl_signer"):
    token, expiry = config.pop("oauth_cb")("")
    out["token"] = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    out["expiry"] = expiry
config["oauth_cb"] = callable(config.get("oauth_cb"))
out["client"] = config
print(json.dumps(out))
"""


def kafka_auth(venv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """KAFKA_AUTH run by one workload venv's Python."""
    return subprocess.run(
        [DEVENV / f"venvs/{venv}/bin/python", "-c", KAFKA_AUTH],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_msk_iam_is_one_code_path_with_the_mechanism_as_a_value(dev_values: dict[str, str]) -> None:
    """dev, staging and prod read Kafka over SASL_SSL with AWS_MSK_IAM: librdkafka gets SASL
    OAUTHBEARER with a SigV4-signed MSK token (signed locally from the role's credentials, no
    network), Spark's Java client gets the aws-msk-iam-auth login module (a locked jar)."""
    assert dev_values["FINSIGHT_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert dev_values["FINSIGHT_KAFKA_SASL_MECHANISM"] == "AWS_MSK_IAM"
    credentials = {
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env = workload_env(dev_values, PYTHONPATH=f"{ROOT}/pipelines/common", **credentials)
    done = kafka_auth("streaming", env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["client"]["security.protocol"] == "SASL_SSL"
    assert out["client"]["sasl.mechanism"] == "OAUTHBEARER"
    assert out["token"].startswith("https://kafka.eu-west-1.amazonaws.com/?Action=kafka-cluster%3AConnect")
    assert "X-Amz-Signature=" in out["token"] and "AKIDEXAMPLE" in out["token"]
    assert out["spark"]["kafka.sasl.mechanism"] == "AWS_MSK_IAM"
    assert "IAMLoginModule required" in out["spark"]["kafka.sasl.jaas.config"]
    spark = kafka_auth("spark", env)
    assert spark.returncode == 0, spark.stderr
    assert json.loads(spark.stdout)["spark"] == out["spark"]
    assert json.loads(spark.stdout)["client"]["sasl.mechanism"] == "OAUTHBEARER"
    assert "aws-msk-iam-auth-2.4.0.jar" in (ROOT / "lock/spark-jars.lock").read_text()


def test_a_mechanism_that_does_not_fit_the_protocol_is_named(dev_values: dict[str, str]) -> None:
    env = workload_env(
        {**dev_values, "FINSIGHT_KAFKA_SASL_MECHANISM": "NONE"}, PYTHONPATH=f"{ROOT}/pipelines/common"
    )
    done = kafka_auth("streaming", env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert (
        "kafka_sasl_mechanism is invalid" in done.stderr
        and "NONE does not fit kafka_security_protocol SASL_SSL" in done.stderr
    )
