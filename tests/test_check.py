"""`parity check` on the repository, and on copies of it in which one thing drifted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from parity import cli

pytestmark = pytest.mark.integration


def check(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = cli.main(["check", "--repo", str(repo), "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def violations(report: dict) -> set[tuple[str, str, str]]:
    return {(v["rule"], v["resource"], v["path"]) for v in report["violations"]}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def add_to_kustomization(overlay: Path, block: str) -> None:
    kustomization = overlay / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + block)


def test_repository_passes_and_counts_allowed_differences(
    repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", "--repo", str(repo_root)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.search(r"parity holds; \d+ allowed difference\(s\)", last), last
    code, report = check(repo_root, capsys)
    assert code == 0 and report["ok"] and sum(report["allowed"].values()) > 100
    assert report["pairs"].keys() == {"dev->staging", "staging->prod", "dev->ephemeral", "dev->local"}


def test_image_override_in_one_overlay(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    add_to_kustomization(
        repo_copy / "overlays/staging",
        (
            "images:\n  - name: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/finsight/streaming\n"
            "    digest: sha256:" + "1" * 64 + "\n"
        ),
    )
    code, report = check(repo_copy, capsys)
    assert code == 1
    found = violations(report)
    path = "spec.template.spec.containers[consumer].image"
    assert ("image-matches-lock", "Deployment/events-consumer", path) in found
    assert ("not-allowed", "Deployment/events-consumer", path) in found


def test_tag_instead_of_digest(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    component = repo_copy / "k8s/components/release-images/kustomization.yaml"
    text = component.read_text()
    component.write_text(
        re.sub(r"(name: dbt\n    newName: \S+\n)    digest: \S+", r"\1    newTag: 1.4.2", text)
    )
    code, report = check(repo_copy, capsys, "dev")
    assert code == 1
    assert ("image-by-digest", "Job/dbt-runner", "spec.template.spec.containers[dbt].image") in violations(
        report
    )


def test_inline_env_var_in_one_environment(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo_copy / "overlays/prod/debug.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: payments-consumer\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: consumer\n          env:\n            - name: DEBUG\n"
        '              value: "1"\n'
    )
    add_to_kustomization(repo_copy / "overlays/prod", "patches:\n  - path: debug.yaml\n")
    code, report = check(repo_copy, capsys)
    assert code == 1
    assert (
        "not-allowed",
        "Deployment/payments-consumer",
        "spec.template.spec.containers[consumer].env[DEBUG].value",
    ) in violations(report)


def test_resource_in_one_environment_only(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo_copy / "overlays/prod/extra.yaml").write_text(
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hotfix-flags\ndata:\n  skip_recon: "true"\n'
    )
    edit(repo_copy / "overlays/prod/kustomization.yaml", "- values.yaml\n", "- values.yaml\n- extra.yaml\n")
    code, report = check(repo_copy, capsys)
    assert code == 1
    assert ("same-resource-set", "ConfigMap/hotfix-flags", "") in violations(report)


def test_key_missing_from_one_environment(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(repo_copy / "overlays/staging/values.yaml", "    ledger: finsight.staging.ledger.v1\n", "")
    code, report = check(repo_copy, capsys)
    assert code == 1
    assert ("same-values-keys", "overlays/staging/values.yaml", "topics.ledger") in violations(report)


def test_dev_value_equal_to_a_prod_bucket(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(repo_copy / "overlays/dev/values.yaml", "raw: finsight-dev-raw", "raw: finsight-prod-raw")
    code, report = check(repo_copy, capsys)
    assert code == 1
    found = [v for v in report["violations"] if v["rule"] == "no-cross-env-identifiers" and v["env"] == "dev"]
    assert any(
        v["resource"] == "ConfigMap/platform-values"
        and v["path"] == "data.FINSIGHT_RAW_BUCKET"
        and "prod" in v["message"]
        for v in found
    )


def test_prod_account_inside_a_dev_role_arn(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(
        repo_copy / "overlays/dev/values.yaml",
        "arn:aws:iam::210987654321:role/finsight-dev-spark",
        "arn:aws:iam::432109876543:role/finsight-dev-spark",
    )
    code, report = check(repo_copy, capsys)
    assert code == 1
    assert (
        "no-cross-env-identifiers",
        "ServiceAccount/spark",
        "metadata.annotations.[eks.amazonaws.com/role-arn]",
    ) in violations(report)


def test_stale_image_lock(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dag = repo_copy / "pipelines/dags/lake_compaction.py"
    dag.write_text(dag.read_text().replace('"revenue-daily"]', '"revenue-daily", "fraud-features"]'))
    code, report = check(repo_copy, capsys)
    assert code == 1
    assert ("image-lock-fresh", "lock/images.lock.json#airflow", "build_input_hash") in violations(report)


def test_different_airflow_config_in_staging(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo_copy / "overlays/staging/airflow.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: airflow-config\ndata:\n"
        '  AIRFLOW__CORE__PARALLELISM: "8"\n'
    )
    add_to_kustomization(repo_copy / "overlays/staging", "patches:\n  - path: airflow.yaml\n")
    code, report = check(repo_copy, capsys)
    assert code == 1
    assert ("not-allowed", "ConfigMap/airflow-config", "data.AIRFLOW__CORE__PARALLELISM") in violations(
        report
    )


def test_reordered_env_entries_are_not_a_violation(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo_copy / "overlays/prod/reorder.yaml").write_text(
        "- op: move\n  from: /spec/template/spec/containers/0/env/0\n"
        "  path: /spec/template/spec/containers/0/env/3\n"
    )
    add_to_kustomization(
        repo_copy / "overlays/prod",
        (
            "patches:\n  - path: reorder.yaml\n    target:\n"
            "      kind: Deployment\n      name: airflow-scheduler\n"
        ),
    )
    code, report = check(repo_copy, capsys)
    assert code == 0, report["violations"]


@pytest.mark.parametrize(
    ("breakage", "needle"),
    [
        ("unknown-env", "qa: unknown environment"),
        ("overlay-fails", "overlays/staging/kustomization.yaml: kustomize build failed"),
        ("yaml-syntax", "overlays/dev/values.yaml:"),
        ("policy", "parity.toml:"),
        ("policy-rule", "parity.toml:"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    repo_copy: Path, capsys: pytest.CaptureFixture[str], breakage: str, needle: str
) -> None:
    args = ["check", "--repo", str(repo_copy)]
    if breakage == "unknown-env":
        args.append("qa")
    elif breakage == "overlay-fails":
        add_to_kustomization(repo_copy / "overlays/staging", "resources:\n  - missing.yaml\n")
    elif breakage == "yaml-syntax":
        edit(repo_copy / "overlays/dev/values.yaml", "  buckets:\n", "  buckets: [\n")
    elif breakage == "policy":
        edit(
            repo_copy / "parity.toml", 'path = ["dev", "staging", "prod"]', 'path = ["dev", "staging", "prod"'
        )
    else:
        edit(repo_copy / "parity.toml", 'reason = "capacity follows load"\n', "")
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err


def test_schema_violation_in_one_environment_is_named(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo_copy / "overlays/staging/bad.yaml").write_text(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: ledger-consumer\nspec:\n"
        "  minAvailabel: 2\n"
    )
    add_to_kustomization(repo_copy / "overlays/staging", "patches:\n  - path: bad.yaml\n")
    code, report = check(repo_copy, capsys)
    assert code == 1
    schema = [v for v in report["violations"] if v["rule"] == "kubeconform"]
    assert [(v["env"], v["resource"]) for v in schema] == [("staging", "PodDisruptionBudget/ledger-consumer")]
    assert "minAvailabel" in schema[0]["message"]
