"""Each of the 15 Spark jobs runs in local mode (the spark image's venv and locked jars) on the
synthetic data, with the dev values but a local lake root and the local Kafka broker."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from parity.sample_run import produce_events
from parity.stack import Service
from tests.platform.conftest import DEVENV, ROOT, workload_env

pytestmark = pytest.mark.integration

JOBS = sorted(p.stem for p in (ROOT / "k8s/base").glob("sparkapplication-*.yaml"))
JOB_NAMES = [job.removeprefix("sparkapplication-") for job in JOBS]


@pytest.fixture(scope="module")
def spark_run(
    dev_values: dict[str, str], kafka: Service, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("spark")
    subprocess.run(
        [sys.executable, "-m", "datagen.generate", work / "csv"],
        check=True,
        cwd=ROOT / "pipelines",
        capture_output=True,
    )
    produced = produce_events(kafka.address, dev_values["FINSIGHT_EVENTS_TOPIC"], work / "csv/events.csv")
    jars = ",".join(str(p) for p in sorted((DEVENV / "jars/spark").glob("*.jar")))
    env = workload_env(
        dev_values,
        FINSIGHT_LAKE_URI_TEMPLATE=f"file://{work}/lake/{{bucket}}",
        FINSIGHT_KAFKA_BOOTSTRAP_SERVERS=kafka.address,
        FINSIGHT_KAFKA_SECURITY_PROTOCOL="PLAINTEXT",
        PYTHONPATH=f"{ROOT}/pipelines/common:{ROOT}/pipelines/spark",
        PYSPARK_SUBMIT_ARGS=f"--jars {jars} --conf spark.ui.enabled=false "
        "--conf spark.ui.showConsoleProgress=false pyspark-shell",
    )
    python = DEVENV / "venvs/spark/bin/python"
    landing = subprocess.run(
        [python, "-m", "finsight_spark.landing", work / "csv"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert landing.returncode == 0, landing.stderr[-3000:]
    report = work / "report.json"
    done = subprocess.run(
        [python, "-m", "finsight_spark.run", *JOB_NAMES, "--report", report],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )
    assert report.exists(), done.stderr[-3000:]
    return {"report": json.loads(report.read_text()), "produced": produced}


@pytest.mark.parametrize("job", JOB_NAMES, ids=[f"{j}.yaml" for j in JOBS])
def test_job_runs_and_writes_its_dataset(spark_run: dict[str, Any], job: str) -> None:
    outcome = spark_run["report"][job]
    assert outcome["ok"], outcome.get("trace")
    assert outcome["rows"] > 0


def test_kafka_batch_read_takes_every_event_once(spark_run: dict[str, Any]) -> None:
    assert spark_run["report"]["events-from-kafka"]["rows"] == spark_run["produced"]
