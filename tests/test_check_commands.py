"""Rule 7 in `parity check`: every container's entrypoint + command/args name an executable of its
image, and the arguments parse (in the image's own venv). The defects the local cluster found are
re-introduced one at a time on copies of the repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parity import cli, launches
from tests.test_check import edit

pytestmark = pytest.mark.integration


def check(repo: Path, capsys: pytest.CaptureFixture[str], *envs: str) -> tuple[int, list[dict[str, str]]]:
    code = cli.main(["check", "--repo", str(repo), "--format", "json", *envs])
    return code, [v for v in json.loads(capsys.readouterr().out)["violations"] if v["rule"] == launches.RULE]


def test_consumer_args_repeating_the_entrypoint_fail_in_every_environment(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(
        repo_copy / "k8s/base/deployment-events-consumer.yaml",
        "        args:\n        - events-value",
        "        args:\n        - python\n        - -m\n        - consumers.consumer\n        - events-value",
    )
    code, found = check(repo_copy, capsys)
    assert code == 1
    named = {(v["env"], v["resource"], v["path"]) for v in found}
    path = "spec.template.spec.containers[consumer]"
    assert named == {
        (env, "Deployment/events-consumer", path) for env in ("dev", "staging", "prod", "ephemeral", "local")
    }
    assert all("unrecognized arguments: -m consumers.consumer events-value" in v["message"] for v in found)


def test_a_spark_image_without_the_kubernetes_entrypoint_fails_every_spark_application(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(repo_copy / "images/spark/image.toml", '"finsight_spark.entrypoint"]', '"finsight_spark.run"]')
    code, found = check(repo_copy, capsys, "prod")
    assert code == 1
    named = {(v["resource"], v["path"]) for v in found}
    applications = {
        p.stem.removeprefix("sparkapplication-")
        for p in (repo_copy / "k8s/base").glob("sparkapplication-*.yaml")
    }
    assert len(applications) == 15
    assert named == {
        (f"SparkApplication/{a}", role) for a in applications for role in ("spec.driver", "spec.executor")
    }
    assert all(
        "invalid choice: 'driver'" in v["message"] or "invalid choice: 'executor'" in v["message"]
        for v in found
    )


def test_an_unknown_job_and_a_missing_main_file_are_named(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(
        repo_copy / "k8s/base/sparkapplication-curate-invoices.yaml", "- curate-invoices", "- curate-invoice"
    )
    edit(
        repo_copy / "k8s/base/sparkapplication-revenue-daily.yaml",
        "finsight_spark/run.py",
        "finsight_spark/main.py",
    )
    code, found = check(repo_copy, capsys, "dev")
    assert code == 1
    by = {(v["resource"], v["path"]): v["message"] for v in found}
    assert set(by) == {
        ("SparkApplication/curate-invoices", "spec.driver"),
        ("SparkApplication/revenue-daily", "spec.driver"),
    }
    assert "invalid choice: 'curate-invoice'" in by[("SparkApplication/curate-invoices", "spec.driver")]
    assert (
        "needs /opt/finsight/pipelines/spark/finsight_spark/main.py"
        in by[("SparkApplication/revenue-daily", "spec.driver")]
    )


def test_a_command_the_image_does_not_hold_and_bad_dbt_options(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = repo_copy / "k8s/base/job-dbt-runner.yaml"
    edit(job, "        args:", "        command:\n        - dbt-run\n        args:")
    edit(repo_copy / "k8s/base/deployment-airflow-scheduler.yaml", "- scheduler", "- schedular")
    code, found = check(repo_copy, capsys, "staging")
    assert code == 1
    by = {v["resource"]: v["message"] for v in found}
    assert set(by) == {"Job/dbt-runner", "Deployment/airflow-scheduler"}
    assert "'dbt-run', which image dbt does not hold on its PATH" in by["Job/dbt-runner"]
    assert "invalid choice: 'schedular'" in by["Deployment/airflow-scheduler"]


def test_dbt_options_are_parsed_by_dbt(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(repo_copy / "k8s/base/job-dbt-runner.yaml", "- --select", "- --selekt")
    code, found = check(repo_copy, capsys, "dev")
    assert code == 1
    assert [(v["resource"], v["path"]) for v in found] == [
        ("Job/dbt-runner", "spec.template.spec.containers[dbt]")
    ]
    assert "--selekt" in found[0]["message"]
