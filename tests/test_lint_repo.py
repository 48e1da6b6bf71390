"""`parity lint` on the repository and on copies with one planted problem each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parity import cli

pytestmark = pytest.mark.integration


def lint_json(
    repo: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, list[tuple[str, int, str]]]:
    code = cli.main(["lint", "--repo", str(repo), "--format", "json", *args])
    report = json.loads(capsys.readouterr().out)
    return code, [(f["path"], f["line"], f["rule"]) for f in report["findings"]]


def append(path: Path, text: str) -> int:
    """Append and return the line number of the first appended line."""
    before = path.read_text()
    path.write_text(before + text)
    return before.count("\n") + 1


def test_repository_is_clean(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["lint", "--repo", str(repo_root)]) == 0
    assert "parity lint: 0 finding(s)" in capsys.readouterr().err


def test_branch_on_environment_in_a_dag(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dag = repo_copy / "pipelines/dags/lake_compaction.py"
    line = append(dag, 'import os\n\nif os.environ["ENVIRONMENT"] == "prod":\n    BUSIEST = []\n')
    code, found = lint_json(repo_copy, capsys)
    assert code == 1 and ("pipelines/dags/lake_compaction.py", line + 2, "env-branch") in found


def test_dict_keyed_by_environment_selecting_a_bucket(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = repo_copy / "pipelines/spark/finsight_spark/lake.py"
    line = append(job, '\nBUCKETS = {"dev": "scratch-a", "staging": "scratch-b", "prod": "scratch-c"}\n')
    code, found = lint_json(repo_copy, capsys)
    assert code == 1 and ("pipelines/spark/finsight_spark/lake.py", line + 1, "env-keyed-dict") in found


def test_prod_topic_literal_in_a_consumer(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    consumer = repo_copy / "pipelines/streaming/consumers/replay.py"
    line = append(consumer, '\nFALLBACK_TOPIC = "finsight.prod.payments.v1"\n')
    code, found = lint_json(repo_copy, capsys)
    assert code == 1 and ("pipelines/streaming/consumers/replay.py", line + 1, "env-literal") in found


def test_aws_secret_key_in_an_overlay(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    values = repo_copy / "overlays/dev/values.yaml"
    line = append(values, "  debug:\n    awsSecretAccessKey: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
    code, found = lint_json(repo_copy, capsys)
    assert code == 1 and ("overlays/dev/values.yaml", line + 1, "secret") in found
    assert ("overlays/dev/values.yaml", line + 1, "undeclared-value") in found


def test_target_name_branch_in_a_model(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = repo_copy / "pipelines/dbt/models/marts/fct_mrr.sql"
    line = append(model, "{% if target.name == 'prod' %}\n-- sample less\n{% endif %}\n")
    code, found = lint_json(repo_copy, capsys)
    assert code == 1 and ("pipelines/dbt/models/marts/fct_mrr.sql", line, "env-branch") in found


def test_suppression_without_reason_is_a_finding(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = repo_copy / "pipelines/spark/finsight_spark/lake.py"
    line = append(job, '\nMODES = {"dev": 1}  # parity: allow env-keyed-dict\n')
    code, found = lint_json(repo_copy, capsys)
    assert code == 1
    assert {
        ("pipelines/spark/finsight_spark/lake.py", line + 1, "bad-suppression"),
        ("pipelines/spark/finsight_spark/lake.py", line + 1, "env-keyed-dict"),
    } <= set(found)


def test_a_base_key_nothing_feeds(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = repo_copy / "k8s/base/kustomization.yaml"
    base.write_text(
        base.read_text().replace(
            "  - FINSIGHT_ALERT_EMAIL=\n", "  - FINSIGHT_ALERT_EMAIL=\n  - FINSIGHT_PAGER_KEY=\n"
        )
    )
    code, found = lint_json(repo_copy, capsys)
    assert code == 1 and ("k8s/base/kustomization.yaml", 1, "missing-value") in found


def test_check_includes_lint(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    append(
        repo_copy / "pipelines/streaming/consumers/replay.py",
        '\nFALLBACK_TOPIC = "finsight.prod.payments.v1"\n',
    )
    assert cli.main(["check", "--repo", str(repo_copy), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert any(
        v["rule"] == "lint/env-literal" and v["resource"].endswith("replay.py") for v in report["violations"]
    )
