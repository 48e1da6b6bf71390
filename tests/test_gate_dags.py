"""`parity gate dags` on the repository and on copies with one broken DAG each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parity import cli
from parity.gates import dags as gate_dags

pytestmark = pytest.mark.integration

HEADER = (
    "from datetime import timedelta\n\nimport pendulum\nfrom airflow.providers.standard.operators.empty "
    "import EmptyOperator\nfrom airflow.sdk import DAG\n\n"
)


def dag_file(body: str, dag_id: str, retries: str = '"retries": 1, ') -> str:
    return HEADER + (
        f'with DAG(dag_id="{dag_id}", schedule="@daily", start_date=pendulum.datetime(2026, 1, 1),\n'
        f"         catchup=False,\n"
        f'         default_args={{"owner": "team-test", {retries}"retry_delay": timedelta(minutes=1)}},\n'
        f'         tags=["test"], doc_md="A test DAG.") as dag:\n{body}'
    )


def gate(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, set[tuple[str, str]]]:
    evidence = repo / "evidence.json"
    code = cli.main(["gate", "dags", "--repo", str(repo), "--evidence", str(evidence), "--format", "json"])
    capsys.readouterr()
    document = json.loads(evidence.read_text())
    return code, {(f["subject"], f["rule"]) for f in document["findings"]}


def test_the_repository_passes_while_both_cores_are_held(
    repo_root: Path, tmp_path: Path, busy_cores: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """The parse budget is CPU time: a machine made busy by others does not fail good DAG files."""
    evidence = tmp_path / "dags.json"
    assert cli.main(["gate", "dags", "--repo", str(repo_root), "--evidence", str(evidence)]) == 0
    document = json.loads(evidence.read_text())
    assert document["ok"] and document["summary"]["dags"] == 120
    assert "gate dags (dev): passed" in capsys.readouterr().out


def test_import_error_names_the_file(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo_copy / "pipelines/dags/broken.py").write_text(
        dag_file("    EmptyOperator(task_id='a')\n", "broken") + "import not_a_module  # airflow dag\n"
    )
    code, found = gate(repo_copy, capsys)
    assert code == 1 and ("broken.py", "import-error") in found


def test_cycle_is_reported(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = "    a = EmptyOperator(task_id='a')\n    b = EmptyOperator(task_id='b')\n    a >> b >> a\n"
    (repo_copy / "pipelines/dags/cyclic.py").write_text(dag_file(body, "cyclic"))
    code, found = gate(repo_copy, capsys)
    assert code == 1 and ("cyclic.py", "cycle") in found


def test_slow_file_exceeds_the_parse_budget(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Parse cost is CPU time (load on the machine does not change it), so the file burns CPU.
    body = (
        "    EmptyOperator(task_id='a')\n\nimport time\n\n_t = time.process_time()\n"
        "while time.process_time() - _t < 2.5:\n    pass\n"
    )
    (repo_copy / "pipelines/dags/slow.py").write_text(dag_file(body, "slow"))
    code, found = gate(repo_copy, capsys)
    assert code == 1 and ("slow.py", "parse-time") in found


def test_dag_without_retries(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo_copy / "pipelines/dags/fragile.py").write_text(
        dag_file("    EmptyOperator(task_id='a')\n", "fragile", "")
    )
    code, found = gate(repo_copy, capsys)
    assert code == 1 and ("fragile.py::fragile", "missing-retries") in found


def test_source_rules() -> None:
    text = (
        "from airflow.sdk import DAG, Variable\nBUCKET = Variable.get('bucket')\n"
        "def later():\n    return Variable.get('ok-inside-a-task')\nwith DAG(dag_id='x') as d:\n    pass\n"
    )
    found = {(f.subject, f.rule) for f in gate_dags.source_findings("x.py", text)}
    assert found == {("x.py:2", "top-level-call"), ("x.py:5", "missing-schedule")}
