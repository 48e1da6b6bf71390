"""Each of the 15 Spark jobs runs in local mode (the spark image's venv and locked jars) on the
synthetic data, with the dev values but a local lake root and the local Kafka broker."""

from __future__ import annotations

from typing import Any

import pytest

from parity.gates.workloads import spark_jobs
from tests.platform.conftest import ROOT

pytestmark = pytest.mark.integration

JOBS = sorted(p.stem for p in (ROOT / "k8s/base").glob("sparkapplication-*.yaml"))
JOB_NAMES = [job.removeprefix("sparkapplication-") for job in JOBS]


@pytest.fixture(scope="module")
def spark_run(dev_values: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same harness `parity gate quality` uses: landing, the Kafka topic, every job, one report."""
    work = tmp_path_factory.mktemp("spark")
    report, _ = spark_jobs(ROOT, dev_values, JOB_NAMES, work, "2026-05-01")
    with (work / "csv" / "events.csv").open() as events:
        produced = sum(1 for _ in events) - 1  # minus the header
    return {"report": report, "produced": produced}


@pytest.mark.parametrize("job", JOB_NAMES, ids=[f"{j}.yaml" for j in JOBS])
def test_job_runs_and_writes_its_dataset(spark_run: dict[str, Any], job: str) -> None:
    outcome = spark_run["report"][job]
    assert outcome["ok"], outcome.get("trace")
    assert outcome["rows"] > 0


def test_kafka_batch_read_takes_every_event_once(spark_run: dict[str, Any]) -> None:
    assert spark_run["report"]["events-from-kafka"]["rows"] == spark_run["produced"]
