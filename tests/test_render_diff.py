"""`parity render` and `parity diff` on the repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from parity import cli

pytestmark = pytest.mark.integration


def test_render_writes_one_file_per_resource_stably(repo_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "dev"
    assert cli.main(["render", "dev", "-o", str(out), "--repo", str(repo_root)]) == 0
    first = {p.name: p.read_bytes() for p in out.glob("*.yaml")}  # and the .parity-rendering marker
    assert len(first) == 55
    assert "sparkapplication-curate-events.sparkoperator.k8s.io.yaml" in first
    assert cli.main(["render", "dev", "-o", str(out), "--repo", str(repo_root)]) == 0
    assert {p.name: p.read_bytes() for p in out.glob("*.yaml")} == first
    document = yaml.safe_load(first["deployment-events-consumer.apps.yaml"])
    assert document["metadata"]["namespace"] == "finsight-dev"
    assert list(document) == sorted(document)  # stable key order


def test_render_to_stdout_is_sorted_by_identity(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["render", "prod", "--repo", str(repo_root)]) == 0
    documents = list(yaml.safe_load_all(capsys.readouterr().out))
    assert len(documents) == 55
    keys = [(d["apiVersion"], d["kind"], d["metadata"]["name"]) for d in documents]
    assert keys == sorted(keys)


def test_render_unknown_env_is_exit_2(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["render", "qa", "--repo", str(repo_root)]) == 2
    assert "qa: unknown environment" in capsys.readouterr().err


def test_diff_json_names_each_difference_and_its_rule(
    repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["diff", "staging", "prod", "--format", "json", "--repo", str(repo_root)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["violations"] == 0
    assert all(d["allowed"] and d["rule"] for d in report["differences"])
    paths = {(d["resource"], d["path"]) for d in report["differences"]}
    assert ("ConfigMap/platform-values", "data.FINSIGHT_RAW_BUCKET") in paths
    assert ("SparkApplication/daily-balances", "spec.executor.instances") in paths
    raw = next(d for d in report["differences"] if d["path"] == "data.FINSIGHT_RAW_BUCKET")
    assert (raw["left"], raw["right"], raw["rule"]) == (
        "finsight-staging-raw",
        "finsight-prod-raw",
        "env-values",
    )


def test_diff_markdown_for_pull_requests(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["diff", "dev", "staging", "--format", "markdown", "--repo", str(repo_root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### parity diff `dev` → `staging`")
    assert "no violations" in out and "| ✅ | `ConfigMap/platform-values` |" in out


def test_diff_text_ends_with_a_summary(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["diff", "dev", "staging", "--repo", str(repo_root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("dev -> staging: parity holds;")
    assert any(line.startswith("  allowed [irsa-role] ServiceAccount/airflow") for line in lines)
