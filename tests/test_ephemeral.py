"""Ephemeral environments without a cluster: the generated overlay (its own topics, consumer group,
S3 prefix and cloned Snowflake databases; never bigger than what it mirrors), `parity diff FROM
NAME` over it, the cost estimate, and bad input. tests/test_local_stack.py runs create, list,
destroy and reap against the local cluster."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from parity import cli, ephemeral
from parity.cli import load_policy
from parity.ephemeral import cost, live, overlay
from parity.rendering import read_values
from tests.conftest import ROOT

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def _env(name: str = "pr-42", source: str = "staging") -> overlay.Env:
    return overlay.Env(name, source, "ephemeral", NOW, NOW + timedelta(hours=8))


def test_the_environment_owns_its_topics_prefix_and_databases() -> None:
    template, staging = read_values(ROOT, "ephemeral"), read_values(ROOT, "staging")
    spec = overlay.values(_env(), template, staging)
    assert spec["topics"] == {
        "events": "finsight.ephemeral-pr-42.events.v1",
        "payments": "finsight.ephemeral-pr-42.payments.v1",
        "ledger": "finsight.ephemeral-pr-42.ledger.v1",
        "deadLetters": "finsight.ephemeral-pr-42.dead-letters.v1",
    }
    assert spec["kafka"]["consumerGroup"] == "finsight-ephemeral-pr-42"
    assert spec["lake"]["uriTemplate"] == "s3a://{bucket}/pr-42"
    assert (spec["snowflake"]["database"], spec["snowflake"]["rawDatabase"]) == (
        "ANALYTICS_EPHEMERAL_PR_42",
        "RAW_EPHEMERAL_PR_42",
    )
    # What it shares with the template: the account's buckets, roles and warehouse.
    for key in ("buckets", "iam", "aws"):
        assert spec[key] == template[key]
    assert spec["snowflake"]["warehouse"] == template["snowflake"]["warehouse"]


def test_it_is_never_bigger_than_the_environment_it_mirrors() -> None:
    template = read_values(ROOT, "ephemeral")
    small = json.loads(json.dumps(template))
    small["scaling"]["spark"]["executorInstances"] = 0
    small["scaling"]["consumers"]["events"]["maxReplicas"] = 0
    small["snowflake"]["warehouseSize"] = "XSMALL"
    big = json.loads(json.dumps(template))
    big["snowflake"]["warehouseSize"] = "SMALL"
    template["snowflake"]["warehouseSize"] = "MEDIUM"
    spec = overlay.values(_env(), template, small)
    assert spec["scaling"]["spark"]["executorInstances"] == 0
    assert spec["scaling"]["consumers"]["events"]["maxReplicas"] == 0
    assert spec["scaling"]["spark"]["executorMemory"] == template["scaling"]["spark"]["executorMemory"]
    assert spec["snowflake"]["warehouseSize"] == "XSMALL"
    assert overlay.values(_env(), template, big)["snowflake"]["warehouseSize"] == "SMALL"


def test_its_schemas_are_zero_copy_clones_of_the_templates() -> None:
    template = read_values(ROOT, "ephemeral")
    statements = overlay.clones(ROOT, _env(), template, overlay.values(_env(), template, template))
    assert statements == [
        "CREATE DATABASE IF NOT EXISTS RAW_EPHEMERAL_PR_42",
        "CREATE SCHEMA IF NOT EXISTS RAW_EPHEMERAL_PR_42.LANDING CLONE RAW_EPHEMERAL.LANDING",
        "CREATE DATABASE IF NOT EXISTS ANALYTICS_EPHEMERAL_PR_42",
        "CREATE SCHEMA IF NOT EXISTS ANALYTICS_EPHEMERAL_PR_42.MARTS CLONE ANALYTICS_EPHEMERAL.MARTS",
    ]
    assert overlay.drops(statements) == [
        "DROP DATABASE IF EXISTS RAW_EPHEMERAL_PR_42",
        "DROP DATABASE IF EXISTS ANALYTICS_EPHEMERAL_PR_42",
    ]


def test_parity_diff_passes_for_a_generated_environment_and_fails_when_the_template_drifts(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _env()
    overlay.write(repo_copy, env)
    written = sorted(str(p.relative_to(repo_copy / env.state)) for p in (repo_copy / env.state).rglob("*.*"))
    assert written == [
        "env.json",
        "local/kustomization.yaml",
        "overlay/kustomization.yaml",
        "overlay/values.yaml",
        "snowflake.sql",
    ]
    assert cli.main(["--repo", str(repo_copy), "diff", "staging", "pr-42", "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["violations"] == 0
    assert found["allowed"]["ephemeral-ttl"] == 63  # 55 objects and 8 pod templates say when it expires
    annotated = {d["resource"] for d in found["differences"] if d["rule"] == "ephemeral-ttl"}
    assert len(annotated) == 55

    policy = load_policy(repo_copy)
    assert live.check_mirrors(repo_copy, policy, env) == sum(found["allowed"].values())
    # A template that differs in what no rule allows (here an extra label on every object) fails it.
    kustomization = repo_copy / "overlays/ephemeral/kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "commonLabels:\n  team: ephemeral\n")
    overlay.write(repo_copy, env)
    with pytest.raises(live.Unlike, match=r"violation\(s\), first"):
        live.check_mirrors(repo_copy, policy, env)
    assert cli.main(["--repo", str(repo_copy), "diff", "staging", "pr-42"]) == 1
    shutil.rmtree(repo_copy / env.state)
    assert cli.main(["--repo", str(repo_copy), "diff", "staging", "pr-42"]) == 2  # gone: unknown


def test_the_cost_estimate_counts_always_on_pods_and_the_warehouse() -> None:
    def deployment(name: str, replicas: int, cpu: str, memory: str) -> dict[str, object]:
        container = {"name": "c", "resources": {"requests": {"cpu": cpu, "memory": memory}}}
        pod = {"containers": [container, {"name": "sidecar"}]}
        return {
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {"replicas": replicas, "template": {"spec": pod}},
        }

    documents = [
        deployment("api", 2, "500m", "1Gi"),
        deployment("consumer", 1, "1", "512Mi"),
        {
            "kind": "HorizontalPodAutoscaler",
            "spec": {"scaleTargetRef": {"name": "consumer"}, "minReplicas": 3},
        },
        {
            "kind": "Job",
            "spec": {"template": {"spec": {"containers": [{"resources": {"requests": {"cpu": "8"}}}]}}},
        },
    ]
    rates = ephemeral.Rates(cpu_core_hour=0.04, memory_gib_hour=0.005, credit=3.0)
    # api: 2 x (0.5 core, 1 GiB); consumer: the HPA's 3 x (1 core, 0.5 GiB); the Job is not counted.
    pods = 2 * (0.5 * 0.04 + 1 * 0.005) + 3 * (1 * 0.04 + 0.5 * 0.005)
    assert cost.per_hour(documents, {"snowflake": {"warehouseSize": "XSMALL"}}, rates) == round(pods + 3.0, 4)
    assert cost.per_hour(documents, {"snowflake": {"warehouseSize": "MEDIUM"}}, rates) == round(
        pods + 12.0, 4
    )
    assert cost.quantity("250m") == 0.25 and cost.quantity("2Gi") == 2**31 and cost.quantity("junk") == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["create", "PR_1", "--from", "staging"], "PR_1: is not an ephemeral environment name"),
        (["create", "staging", "--from", "staging"], "staging: is one of parity.toml's environments"),
        (["create", "pr-1", "--from", "qa"], "qa: unknown environment"),
        (
            ["create", "pr-1", "--from", "staging", "--ttl", "9d"],
            "--ttl 9d: is not a duration up to the maximum",
        ),
        (["create", "pr-1", "--from", "staging", "--ttl", "soon"], "--ttl soon: is not a duration"),
        (["destroy", "Bad!"], "Bad!: is not an ephemeral environment name"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], message: str, repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--repo", str(repo_copy), "env", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not (repo_copy / ephemeral.STATE_DIR).exists()  # nothing half-written


def test_a_malformed_ephemeral_table_names_the_field(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = repo_copy / "parity.toml"
    toml.write_text(toml.read_text().replace('max_ttl = "72h"', 'max_ttl = "forever"'))
    assert cli.main(["--repo", str(repo_copy), "env", "list"]) == 2
    err = capsys.readouterr().err
    assert "parity.toml:" in err and "`ephemeral.max_ttl` must be a duration" in err, err
