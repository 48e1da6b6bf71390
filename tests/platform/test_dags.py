"""Every DAG loads in Airflow 3.3's DagBag (the airflow image's venv) with the dev values, and
carries the guard rails the team requires."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.platform.conftest import DEVENV, ROOT, workload_env

pytestmark = pytest.mark.integration

DAGS = ROOT / "pipelines" / "dags"


def load_dagbag(values: dict[str, str]) -> dict[str, Any]:
    env = workload_env(
        values,
        PYTHONPATH=f"{ROOT}/pipelines/common:{DAGS}",
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="True",
    )
    done = subprocess.run(
        [DEVENV / "venvs/airflow/bin/python", ROOT / "tests/platform/dagbag_probe.py", DAGS],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.splitlines()[-1]))


@pytest.fixture(scope="module")
def dagbag(dev_values: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    values = {**dev_values, "AIRFLOW_HOME": str(tmp_path_factory.mktemp("airflow-home"))}
    return load_dagbag(values)


def test_no_import_errors(dagbag: dict[str, Any]) -> None:
    assert dagbag["import_errors"] == {}


def test_the_dagbag_holds_120_dags(dagbag: dict[str, Any]) -> None:
    assert len(dagbag["dags"]) == 120
    assert len({d["dag_id"] for d in dagbag["dags"]}) == 120


def _dags() -> list[tuple[str, str]]:
    # Parametrised from the spec files and DAG modules, so ids name the file even before loading.
    import yaml

    ids = [
        (f"{spec.stem}_dags.py", d["dag_id"])
        for spec in sorted((DAGS / "specs").glob("*.yaml"))
        for d in yaml.safe_load(spec.read_text())["dags"]
    ]
    hand = [(p.name, p.stem) for p in sorted(DAGS.glob("*.py")) if not p.name.endswith("_dags.py")]
    return ids + hand


@pytest.mark.parametrize(("file", "dag_id"), _dags(), ids=[f"{f}::{d}" for f, d in _dags()])
def test_dag_has_guard_rails(dagbag: dict[str, Any], file: str, dag_id: str) -> None:
    dag = next((d for d in dagbag["dags"] if d["dag_id"] == dag_id), None)
    assert dag is not None, f"{dag_id} not in the DagBag"
    assert dag["file"] == file
    assert dag["owner"].startswith("team-")
    assert isinstance(dag["retries"], int)
    assert dag["tags"]
    assert dag["catchup"] is False
    assert len(dag["doc_md"]) > 30
    assert dag["tasks"] >= 1


def test_masked_sample_refresh_runs_parity_sample_per_policy_in_the_dbt_image(
    dagbag: dict[str, Any], dev_values: dict[str, str]
) -> None:
    """A task per masking policy, parents first; each pod runs `python -m parity sample` in the
    locked dbt image, and its arguments parse as parity's own CLI parses them."""
    from parity import cli
    from parity.validate import policies

    dag = next(d for d in dagbag["dags"] if d["dag_id"] == "masked_sample_refresh")
    found = policies.load_all(ROOT)
    pods = {p["task_id"]: p for p in dag["pods"]}
    assert set(pods) == {f"sample_{source}" for source in found}
    parser = cli.build_parser()
    for source, (_, policy) in found.items():
        task = pods[f"sample_{source}"]
        assert task["image"] == dev_values["FINSIGHT_DBT_IMAGE"]
        assert task["cmds"] == ["python", "-m", "parity"]
        assert task["service_account"] == "dbt"
        args = parser.parse_args(task["arguments"])
        assert args.command == "sample"
        assert args.policy.as_posix() == f"/opt/finsight/pipelines/masking/{source}.yaml"
        raw = dev_values["FINSIGHT_SNOWFLAKE_RAW_DATABASE"]
        assert args.src == f"table:{raw}.LANDING.{source.upper()}"
        bucket = dev_values["FINSIGHT_CURATED_BUCKET"]
        assert args.out == f"s3://{bucket}/masked-samples/{{{{ ds }}}}/{source}.csv"
        parent = policy.sampling.within[0] if policy.sampling.within else None
        assert task["upstream"] == ([f"sample_{parent}"] if parent else [])
