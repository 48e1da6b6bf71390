"""`parity check`'s infrastructure rules on copies of the repository in which one environment's
declarations drifted: an object the others declare is missing (named), prod's raw retention is
shortened, an environment names another's bucket, an ExternalSecret reads a secret with no
placeholder. Each copy also shows the rule stays quiet on the untouched environments."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_check import check, edit

pytestmark = pytest.mark.integration


def _infra(report: dict) -> list[tuple[str, str, str, str]]:
    return sorted(
        (v["rule"], v["env"], v["path"], v["message"])
        for v in report["violations"]
        if v["rule"].startswith("infra-")
    )


def test_the_repository_holds_every_infra_rule(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = check(repo_root, capsys)
    assert code == 0 and _infra(report) == []


@pytest.mark.parametrize(
    ("env", "line", "path", "named"),
    [
        ("staging", "    export: finsight-staging-exports\n", "spec.buckets.export", "bucket export"),
        ("prod", "    ledger: finsight.prod.ledger.v1\n", "spec.topics.ledger", "topic ledger"),
        ("prod", "    warehouse: TRANSFORM_PROD_WH\n", "spec.snowflake.warehouse", "Snowflake warehouse"),
    ],
)
def test_an_environment_lacking_an_object_the_others_declare_fails_naming_it(
    repo_copy: Path, capsys: pytest.CaptureFixture[str], env: str, line: str, path: str, named: str
) -> None:
    edit(repo_copy / f"overlays/{env}/values.yaml", line, "")
    code, report = check(repo_copy, capsys, "dev", "staging", "prod")
    assert code == 1
    (found,) = [v for v in _infra(report) if v[0] == "infra-same-objects"]
    assert found[:3] == ("infra-same-objects", env, path)
    assert f"declares no {named}, which the others declare" in found[3]
    others = [e for e in ("dev", "staging", "prod") if e != env]
    assert all(f"{other}'s " in found[3] for other in others)


def test_prod_raw_retention_shortened_fails(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(repo_copy / "overlays/prod/values.yaml", "rawDays: 180", "rawDays: 90")
    code, report = check(repo_copy, capsys, "staging", "prod")
    assert code == 1
    assert _infra(report) == [
        (
            "infra-retention",
            "prod",
            "spec.retention.rawDays",
            "is 90; prod must keep it 180 days (parity.toml [retention])",
        )
    ]


def test_dev_keeping_raw_data_briefly_is_allowed(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(repo_copy / "overlays/dev/values.yaml", "rawDays: 30", "rawDays: 7")
    code, report = check(repo_copy, capsys, "dev", "staging")
    assert code == 0 and _infra(report) == []


def test_an_environment_naming_anothers_bucket_fails(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(
        repo_copy / "overlays/staging/values.yaml",
        "export: finsight-staging-exports",
        "export: finsight-prod-exports",
    )
    code, report = check(repo_copy, capsys, "staging", "prod")
    assert code == 1
    assert (
        "infra-own-resources",
        "staging",
        "spec.buckets.export",
        "names prod's bucket 'finsight-prod-exports' (spec.buckets.export)",
    ) in _infra(report)


def test_an_external_secret_without_a_placeholder_fails(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(
        repo_copy / "k8s/base/externalsecret-partner-export-sftp.yaml",
        "key: finsight/exports/sftp",
        "key: finsight/exports/sftp-v2",
    )
    code, report = check(repo_copy, capsys, "dev")
    assert code == 1
    found = [v for v in _infra(report) if v[0] == "infra-secrets-declared"]
    assert found and all("'finsight/exports/sftp-v2'" in v[3] for v in found)
