"""`parity gate all` on the repository, run once for the module (it runs the DAG probe, dbt parse
twice, dbt build, the 15 Spark jobs in local mode with the spark image's venv and locked jars, and
a broker); each test reads the one evidence file. The parts
that load could sway (DAG parse cost, the broker's start) are tested with both cores held in
tests/test_gate_dags.py and tests/test_stack_hermetic.py."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEVENV, ROOT

# `gate all` is the module fixture, run in the first test's setup: the module gets the suite's whole
# per-test budget (TEST_BUDGET_SECONDS, 900 s), not pytest's default 600 s.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def gate_all(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    evidence = tmp_path_factory.mktemp("gate-all") / "all.json"  # never in the work tree
    done = subprocess.run(
        [DEVENV / "bin" / "parity", "gate", "all", "--repo", ROOT, "--evidence", evidence],
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "PARITY_DEVENV": str(DEVENV)},
    )
    return {
        "code": done.returncode,
        "out": done.stdout,
        "err": done.stderr,
        "document": json.loads(evidence.read_text()),
        "logs": evidence.parent / "logs",
    }


def test_gate_all_runs_every_gate_and_writes_one_evidence_file(gate_all: dict[str, Any]) -> None:
    assert gate_all["code"] == 0, gate_all["out"] + gate_all["err"]
    document = gate_all["document"]
    assert document["ok"] and set(document["summary"]) == {"dags", "schema", "quality"}
    assert document["summary"]["quality"]["spark_jobs"] == 15
    assert "[3/3] gate quality: passed" in gate_all["err"]
    assert gate_all["out"].startswith("gate all (dev): passed in")
    assert not Path(gate_all["logs"]).exists()  # logs are kept only when a gate fails


def test_repository_dags_pass_with_evidence(gate_all: dict[str, Any]) -> None:
    dags = gate_all["document"]["summary"]["dags"]
    # 120 DAGs from 11 files: 6 written by hand, 114 from the factory's spec files.
    assert dags["dags"] == 120 and dags["import_errors"] == 0 and dags["files"] == 11
    assert "[1/3] gate dags: passed" in gate_all["err"]


def test_repository_histories_are_compatible(gate_all: dict[str, Any]) -> None:
    schema = gate_all["document"]["summary"]["schema"]
    assert schema["subjects"] == 3 and schema["version_pairs"] >= 4
    assert not [f for f in gate_all["document"]["findings"] if f["subject"].endswith("-value")]
    assert "[2/3] gate schema: passed" in gate_all["err"]


JOBS = sorted(p.stem for p in (ROOT / "k8s/base").glob("sparkapplication-*.yaml"))
JOB_NAMES = [job.removeprefix("sparkapplication-") for job in JOBS]


@pytest.mark.parametrize("job", JOB_NAMES, ids=[f"{j}.yaml" for j in JOBS])
def test_each_spark_job_runs_and_writes_its_dataset(gate_all: dict[str, Any], job: str) -> None:
    quality = gate_all["document"]["summary"]["quality"]
    assert not [f for f in gate_all["document"]["findings"] if f["subject"] == job]
    assert (quality["spark_rows"][job] or 0) > 0


def test_kafka_batch_read_takes_every_event_once(gate_all: dict[str, Any]) -> None:
    quality = gate_all["document"]["summary"]["quality"]
    assert quality["kafka_events_produced"] > 0
    assert quality["spark_rows"]["events-from-kafka"] == quality["kafka_events_produced"]


def test_dbt_deps_seed_and_build_succeed(gate_all: dict[str, Any]) -> None:
    # dbt exits 0 for each step or the gate reports it (a failing node or a gate-error).
    quality = gate_all["document"]["summary"]["quality"]
    assert quality["dbt_not_passing"] == 0 and quality["dbt_schema"].startswith("PARITY_GATE_")
    assert not [f for f in gate_all["document"]["findings"] if f["rule"] == "gate-error"]


def test_every_model_and_test_passed(gate_all: dict[str, Any]) -> None:
    quality = gate_all["document"]["summary"]["quality"]
    assert quality["dbt_models"] == 40 and quality["dbt_tests"] >= 60
    assert not [f for f in gate_all["document"]["findings"] if f["rule"].startswith("dbt-")]


def test_the_manifest_holds_40_models_with_enforced_contracts_on_marts(gate_all: dict[str, Any]) -> None:
    schema = gate_all["document"]["summary"]["schema"]
    marts = sorted(f"model.finsight.{p.stem}" for p in (ROOT / "pipelines/dbt/models/marts").glob("*.sql"))
    assert schema["dbt_models"] == 40 and len(marts) == 14
    assert schema["contracted_models"] == marts
