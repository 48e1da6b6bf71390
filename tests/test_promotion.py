"""Releases moving dev -> staging -> prod, approvals, refusals, locks, crashes and rollback, against
three real API servers (each its own etcd, controller-manager and scheduler; kwok plays the nodes,
so prod rolls out at full size)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from parity.promotion import locks
from parity.promotion.journal import FileLedger
from tests.promotion_support import (
    AUTHOR,
    R2_NOTE,
    Live,
    Parity,
    commit_second_release,
    contexts,
    copy_repo,
    differences,
    git,
    kubectl,
    live_objects,
    planes,
    release_documents,
)

pytestmark = pytest.mark.integration

ENVS = {"dev": 2, "staging": 3, "prod": 4}  # control-plane index: its ports
POLICY = contexts({env: f"finsight-{env}" for env in ENVS})


@pytest.fixture(scope="module")
def clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Three control planes and one kubeconfig naming them as parity.toml's contexts."""
    with planes(tmp_path_factory.mktemp("clusters"), ENVS) as kubeconfig:
        yield kubeconfig


def _copy_repo(target: Path, **options: Any) -> Path:
    return copy_repo(target, POLICY, **options)


def _live(kubeconfig: Path, env: str, documents: list[dict[str, Any]]) -> Live:
    return live_objects(kubeconfig, f"finsight-{env}", env, documents)


@pytest.fixture(scope="module")
def flow(clusters: Path, tmp_path_factory: pytest.TempPathFactory) -> Parity:
    return Parity(_copy_repo(tmp_path_factory.mktemp("e2e")), clusters)


def test_two_releases_go_to_prod_and_rollback_restores_the_first_exactly(
    flow: Parity, clusters: Path
) -> None:
    r1 = flow.create()
    assert flow.create() == r1  # the same tree is the same release
    flow.approve_and_promote(r1)

    commit_second_release(flow.repo)
    r2 = flow.create()
    assert r2 != r1
    flow.approve_and_promote(r2)
    live = _live(clusters, "prod", release_documents(flow.repo, r2, "prod"))
    assert any(k[2].startswith("release-notes") for k in live)
    assert live[("Job", "finsight-prod", "dbt-runner")]["spec"]["template"]["metadata"]["annotations"] == {
        R2_NOTE: "r2"
    }  # the Job was replaced: its template cannot be updated

    done = flow("rollback", "prod")
    assert done.stdout.startswith(f"rolled prod back to {r1} in ")
    wanted = release_documents(flow.repo, r1, "prod")
    deadline = time.monotonic() + 60
    while True:
        live = _live(clusters, "prod", release_documents(flow.repo, r2, "prod"))
        if len(live) == len(wanted) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert not [k for k in live if k[2].startswith("release-notes")], "the object only R2 had was not pruned"
    assert len(live) == len(wanted)
    assert differences(live, wanted) == []
    job = live[("Job", "finsight-prod", "dbt-runner")]["spec"]["template"]["metadata"]
    assert R2_NOTE not in job.get("annotations", {})  # R1's Job again, not R2's with R1's fields
    assert flow("audit", "verify").returncode == 0
    pending = flow("audit", "pending").stdout
    assert "no pending obligations" in pending


def test_refusals_exit_3_with_one_line(flow: Parity, clusters: Path) -> None:
    git(flow.repo, "commit", "-q", "--allow-empty", "-m", "R3")  # by Alice, an approver too
    r3 = flow.create()
    flow.refused("promote", r3, "--to", "prod", says="has not been promoted to staging")
    flow("promote", r3, "--to", "dev")
    flow("promote", r3, "--to", "staging")
    flow.refused("approve", r3, "--env", "prod", "--as", AUTHOR, says="separation of duties")
    flow.refused("approve", r3, "--env", "prod", "--as", "bob@finsight.io", says="not on the approvers list")
    flow("approve", r3, "--env", "prod", "--as", "carol@finsight.io")
    flow.refused(
        "approve", r3, "--env", "prod", "--as", "CAROL@finsight.io", says="has approved this release already"
    )
    flow.refused("promote", r3, "--to", "prod", says="1 valid approval(s) of the 2 required")
    with locks.held(flow.repo / ".parity", "prod", "someone@finsight.io", "promote r-x"):
        flow("approve", r3, "--env", "prod", "--as", "erin@finsight.io")
        flow.refused("promote", r3, "--to", "prod", says="prod: is locked: someone@finsight.io")
    flow("promote", r3, "--to", "prod")


def test_an_expired_approval_does_not_count(clusters: Path, tmp_path: Path) -> None:
    parity = Parity(_copy_repo(tmp_path / "repo", expires="2s"), clusters)
    git(parity.repo, "commit", "-q", "--allow-empty", "-m", "change", who="Bob <bob@finsight.io>")
    release = parity.create()
    parity("promote", release, "--to", "dev")
    parity("promote", release, "--to", "staging")
    parity("approve", release, "--env", "prod", "--as", "carol@finsight.io")
    parity("approve", release, "--env", "prod", "--as", "dave@finsight.io")
    time.sleep(3)
    parity.refused("promote", release, "--to", "prod", says="0 valid approval(s) of the 2 required")


def test_promotion_waits_for_the_gates_in_the_environment_before(clusters: Path, tmp_path: Path) -> None:
    parity = Parity(_copy_repo(tmp_path / "repo", gates='["dags"]'), clusters)
    release = parity.create()
    parity("promote", release, "--to", "dev")
    parity.refused("promote", release, "--to", "staging", says="no passing dags gate for it in dev")
    parity("gate", "dags", "--env", "dev", "--release", release)
    parity("promote", release, "--to", "staging")


def test_emergency_skips_approvals_and_leaves_an_obligation_until_approved(flow: Parity) -> None:
    git(flow.repo, "commit", "-q", "--allow-empty", "-m", "hotfix", who="Bob <bob@finsight.io>")
    hotfix = flow.create()
    flow("promote", hotfix, "--to", "dev")
    flow("promote", hotfix, "--to", "staging")
    bad = flow("promote", hotfix, "--to", "prod", "--emergency", code=2)
    assert "--emergency: needs --reason" in bad.stderr
    flow("promote", hotfix, "--to", "prod", "--emergency", "--reason", "INC-4711 ledger consumer down")
    assert "INC-4711" in flow("audit", "pending", code=1).stdout  # open: a finding
    flow("approve", hotfix, "--env", "prod", "--as", "carol@finsight.io")
    assert "INC-4711" in flow("audit", "pending", code=1).stdout
    flow("approve", hotfix, "--env", "prod", "--as", "erin@finsight.io")
    assert "no pending obligations" in flow("audit", "pending").stdout


def test_twenty_concurrent_promotions_and_approvals_keep_one_whole_chain(
    clusters: Path, tmp_path: Path
) -> None:
    parity = Parity(_copy_repo(tmp_path / "repo", approvers=[]), clusters)
    git(parity.repo, "commit", "-q", "--allow-empty", "-m", "busy", who="Bob <bob@finsight.io>")
    release = parity.create()
    people = [f"approver{i}@finsight.io" for i in range(13)]
    commands = [("promote", release, "--to", "dev")] * 5
    commands += [("approve", release, "--env", "prod", "--as", p) for p in people]
    commands += [("approve", release, "--env", "prod", "--as", people[0])] * 2  # one person, racing
    with ThreadPoolExecutor(len(commands)) as pool:
        codes = list(pool.map(lambda c: parity.popen(*c).wait(timeout=400), commands))
    promote_codes, approve_codes = codes[:5], codes[5:]
    assert set(promote_codes) <= {0, 3} and 0 in promote_codes  # a refusal is the environment's lock
    assert sorted(approve_codes) == [0] * 13 + [3, 3]
    journal = FileLedger(parity.repo / ".parity")
    entries = journal.entries()
    assert parity("audit", "verify").returncode == 0
    approvals = [e["actor"] for e in entries if e["action"] == "approve"]
    assert sorted(approvals) == sorted(people)
    starts = [e for e in entries if e["action"] == "promote.start"]
    dones = [e for e in entries if e["action"] == "promote.done"]
    assert len(starts) == len(dones) == promote_codes.count(0)


def test_kill_9_during_a_promotion_leaves_a_verifiable_ledger_and_a_free_lock(flow: Parity) -> None:
    git(flow.repo, "commit", "-q", "--allow-empty", "-m", "crash", who="Bob <bob@finsight.io>")
    release = flow.create()
    journal = FileLedger(flow.repo / ".parity")
    process = flow.popen("promote", release, "--to", "dev")
    deadline = time.monotonic() + 60
    while not any(e["action"] == "promote.start" and e["release"] == release for e in journal.entries()):
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not any(e["action"] == "promote.done" and e["release"] == release for e in journal.entries())
    assert flow("audit", "verify").returncode == 0
    flow("promote", release, "--to", "dev")
    assert any(e["action"] == "promote.done" and e["release"] == release for e in journal.entries())


def test_a_rollout_that_never_becomes_healthy_is_rolled_back_automatically(
    clusters: Path, tmp_path: Path
) -> None:
    parity = Parity(_copy_repo(tmp_path / "repo", timeout=20), clusters)
    good = parity.create()
    parity("promote", good, "--to", "dev")
    consumer = parity.repo / "k8s" / "base" / "deployment-events-consumer.yaml"
    text = consumer.read_text()
    consumer.write_text(
        text.replace(
            "      serviceAccountName: streaming\n",
            "      serviceAccountName: streaming\n      nodeSelector:\n        pool: none-such\n",
            1,
        )
    )
    git(parity.repo, "commit", "-qam", "pin the consumer to a pool no node has", who="Bob <bob@finsight.io>")
    bad = parity.create()
    failed = parity("promote", bad, "--to", "dev", code=1)
    assert f"rolled dev back to {good} automatically" in failed.stderr
    assert "not healthy after 20s" in failed.stderr
    actions = [(e["action"], e["release"]) for e in FileLedger(parity.repo / ".parity").entries()][-3:]
    assert actions == [("promote.start", bad), ("promote.failed", bad), ("rollback", good)]
    live = kubectl(
        clusters, "finsight-dev", "get", "deployment", "events-consumer", "-n", "finsight-dev", "-o", "json"
    )
    assert "nodeSelector" not in live["spec"]["template"]["spec"]
    assert parity("audit", "verify").returncode == 0


def test_promotion_applies_the_releases_infrastructure_before_its_workloads(
    clusters: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import boto3

    from tests import conftest

    services = conftest.localstack(tmp_path_factory, "s3,iam,sts,secretsmanager,cloudformation")
    stack = next(services)
    try:
        address = stack.address  # type: ignore[attr-defined]
        infra = f'[promotion.infra.dev]\nparts = ["aws"]\naws_endpoint_url = "{address}"\n'
        parity = Parity(copy_repo(tmp_path / "repo", POLICY + infra), clusters)
        marker = tmp_path.name  # this release's own mark on a workload object, to see whether it landed
        pools = parity.repo / "k8s/base/configmap-airflow-pools.yaml"
        pools.write_text(
            pools.read_text().replace(
                "  name: airflow-pools\n",
                f"  name: airflow-pools\n  annotations:\n    test/marker: {marker}\n",
                1,
            )
        )
        git(parity.repo, "commit", "-qam", "marked")
        dummy = {"AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "eu-west-1"}
        parity.env.update(dummy, AWS_ACCESS_KEY_ID="432109876543")  # prod's account: refused
        release = parity.create()
        done = parity("promote", release, "--to", "dev", code=1)
        assert "dev infrastructure" in done.stderr and "AWS account 432109876543" in done.stderr
        failed = FileLedger(parity.repo / ".parity").entries()[-1]
        assert (failed["action"], failed["details"]["phase"]) == ("promote.failed", "infra")

        def landed() -> bool:
            live = kubectl(clusters, "finsight-dev", "get", "configmaps", "-n", "finsight-dev", "-o", "json")
            pools = [c for c in live["items"] if c["metadata"]["name"] == "airflow-pools"]
            return any((c["metadata"].get("annotations") or {}).get("test/marker") == marker for c in pools)

        assert not landed()  # the workloads were not applied

        parity.env["AWS_ACCESS_KEY_ID"] = "210987654321"  # dev's
        parity("promote", release, "--to", "dev")
        done_entry = FileLedger(parity.repo / ".parity").entries()[-1]
        assert done_entry["action"] == "promote.done" and done_entry["details"]["infra"]["parts"] == ["aws"]
        assert (
            "stack finsight-dev-platform: missing (apply creates it)"
            in done_entry["details"]["infra"]["applied"]
        )
        s3 = boto3.client("s3", endpoint_url=address, aws_access_key_id="210987654321", **_creds(dummy))
        rule = s3.get_bucket_lifecycle_configuration(Bucket="finsight-dev-raw")["Rules"][0]
        assert rule["Expiration"]["Days"] == 30
        assert landed()
    finally:
        next(services, None)


def _creds(dummy: dict[str, str]) -> dict[str, str]:
    return {
        "aws_secret_access_key": dummy["AWS_SECRET_ACCESS_KEY"],
        "region_name": dummy["AWS_DEFAULT_REGION"],
    }
