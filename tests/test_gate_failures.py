"""No silent passes: a gate whose tool crashes, whose dbt build fails or whose broker does not start
is a failed gate, its logs kept under the evidence directory and named in the finding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from parity import cli, stack
from parity.errors import ParityError
from parity.gates import dags, runner, workloads
from parity.gates.workloads import LogKeeper
from tests.conftest import DEVENV, ROOT


@pytest.fixture(scope="module")
def dev_values() -> dict[str, str]:
    from parity.invariants import values_of
    from parity.rendering import render

    return values_of(render(ROOT, "dev", validate=False).resources)


def fake_program(path: Path, script: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return path


def test_a_crashed_ruff_fails_the_dag_gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    crashed = fake_program(tmp_path / "bin/ruff", "echo 'ruff: panicked' >&2\nexit 2\n")
    monkeypatch.setattr(dags, "ruff_binary", lambda: crashed)
    logs = LogKeeper(tmp_path / "logs")
    with pytest.raises(ParityError, match="ruff exited 2 without a report"):
        dags.ruff_air(ROOT, logs)
    assert "ruff: panicked" in (tmp_path / "logs/ruff.log").read_text()


def test_ruff_findings_are_read_and_a_clean_run_is_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = [
        {
            "filename": str(ROOT / "pipelines/dags/x.py"),
            "location": {"row": 3},
            "code": "AIR301",
            "message": "m",
        }
    ]
    monkeypatch.setattr(
        dags,
        "ruff_binary",
        lambda: fake_program(tmp_path / "bin/ruff", f"echo '{json.dumps(report)}'\nexit 1\n"),
    )
    assert [f.rule for f in dags.ruff_air(ROOT, LogKeeper(tmp_path / "logs"))] == ["ruff-AIR301"]
    monkeypatch.setattr(
        dags, "ruff_binary", lambda: fake_program(tmp_path / "bin/ruff2", "echo '[]'\nexit 0\n")
    )
    assert dags.ruff_air(ROOT, LogKeeper(tmp_path / "logs")) == []


def devenv_with_dbt(tmp_path: Path, script: str) -> Path:
    """A toolchain whose dbt is `script` and everything else the real one (fakesnow included)."""
    devenv = tmp_path / "devenv"
    (devenv / "venvs").mkdir(parents=True)
    for entry in DEVENV.iterdir():
        if entry.name != "venvs":
            (devenv / entry.name).symlink_to(entry)
    for venv in (DEVENV / "venvs").iterdir():
        if venv.name != "dbt":
            (devenv / "venvs" / venv.name).symlink_to(venv)
    fake_program(devenv / "venvs/dbt/bin/dbt", script)
    return devenv


SEED_WRITES_RESULTS = """
mkdir -p target
case "$1" in
  deps) exit 0 ;;
  seed) echo '{"results": [{"unique_id": "seed.x", "status": "success"}]}' > target/run_results.json
        exit 0 ;;
  build) %s ;;
esac
"""


@pytest.mark.integration
def test_a_dbt_build_that_cannot_run_fails_and_the_seeds_results_are_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dev_values: dict[str, str]
) -> None:
    monkeypatch.setenv(
        "PARITY_DEVENV", str(devenv_with_dbt(tmp_path, SEED_WRITES_RESULTS % "echo crash; exit 2"))
    )
    with pytest.raises(ParityError, match="dbt build exited 2: crash"):
        workloads.dbt_build(ROOT, dev_values, tmp_path / "work")


@pytest.mark.integration
def test_a_dbt_build_exiting_1_with_no_failing_node_is_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dev_values: dict[str, str]
) -> None:
    build = """echo '{"results": [{"unique_id": "model.finsight.m", "status": "success"}]}' \\
  > target/run_results.json
echo 'Encountered an error'; exit 1"""
    monkeypatch.setenv("PARITY_DEVENV", str(devenv_with_dbt(tmp_path, SEED_WRITES_RESULTS % build)))
    results = workloads.dbt_build(ROOT, dev_values, tmp_path / "work")["results"]
    assert [r["unique_id"] for r in results] == ["model.finsight.m", "dbt build"]
    assert results[1]["status"] == "error" and "Encountered an error" in results[1]["message"]


def test_gate_all_runs_every_gate_when_one_crashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ran: list[str] = []

    def one(root: Path, policy: Any, name: str, values: dict[str, str], against: str, logs: LogKeeper) -> Any:
        ran.append(name)
        if name == "dags":
            raise KeyError("a defect in parity")
        return [], {"checked": name}

    monkeypatch.setattr(runner, "_one", one)
    evidence = tmp_path / "evidence/all.json"
    assert cli.main(["gate", "all", "--repo", str(ROOT), "--evidence", str(evidence)]) == 70
    assert ran == ["dags", "schema", "quality"]
    document = json.loads(evidence.read_text())
    assert [f["rule"] for f in document["findings"]] == ["gate-error"]
    assert document["summary"]["quality"]["checked"] == "quality"
    kept = next((tmp_path / "evidence/logs").glob("dags-dev-*/traceback.txt"))
    assert "a defect in parity" in kept.read_text()
    assert "logs kept in" in capsys.readouterr().err


@pytest.mark.integration
def test_a_broker_that_cannot_start_fails_the_gate_and_its_log_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = stack.kafka_properties
    monkeypatch.setattr(stack, "kafka_properties", lambda *a: real(*a).replace("node.id=1", "node.id=one"))
    evidence = tmp_path / "evidence/quality.json"
    assert cli.main(["gate", "quality", "--repo", str(ROOT), "--evidence", str(evidence)]) == 1
    finding = json.loads(evidence.read_text())["findings"][0]
    assert finding["rule"] == "gate-error" and "kafka: storage format failed" in finding["message"]
    kept = next((tmp_path / "evidence/logs").glob("quality-dev-*/spark/kafka/kafka.log"))
    assert str(kept) in finding["message"]  # the finding names the kept log, not the deleted temp dir
    assert "kafka.tools.StorageTool" in kept.read_text()  # the storage tool's own failure, kept
    assert "parity: gate quality: kafka: storage format failed" in capsys.readouterr().err
