"""Releases moving dev -> staging -> prod, approvals, refusals, locks, crashes and rollback, against
three real API servers (each its own etcd, controller-manager and scheduler; kwok plays the nodes,
so prod rolls out at full size)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from parity.cluster import controlplane
from parity.promotion import locks
from parity.promotion.journal import FileLedger
from tests.conftest import copy_tracked

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
DEVENV = Path(os.environ.get("PARITY_DEVENV", ROOT / ".devenv"))
ENVS = {"dev": 2, "staging": 3, "prod": 4}  # control-plane index: its ports
AUTHOR = "alice@finsight.io"
APPROVERS = ["carol@finsight.io", "dave@finsight.io", "erin@finsight.io", AUTHOR]
POLICY = """
[promotion.contexts]
dev = "finsight-dev"
staging = "finsight-staging"
prod = "finsight-prod"
"""


def _git(repo: Path, *args: str, who: str = "Alice <alice@finsight.io>") -> None:
    name, email = who[:-1].split(" <")
    subprocess.run(
        ["git", "-c", f"user.name={name}", "-c", f"user.email={email}", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _policy(text: str, gates: str, expires: str, approvers: list[str], timeout: int = 180) -> str:
    """The repository's parity.toml with the test's contexts, gates, approvers and expiry."""
    start = text.index("[promotion]")
    end = text.index("# Environments that are not on the promotion path", start)
    promotion = (
        f'[promotion]\npath = ["dev", "staging", "prod"]\ngates = {gates}\n'
        f"rollout_timeout_seconds = {timeout}\n{POLICY}\n"
    )
    text = text[:start] + promotion + text[end:]
    text = text[: text.index("[approvals.prod]")]
    return text + (
        f"[approvals.prod]\nrequired = 2\nseparation_of_duties = true\n"
        f'approvers = {json.dumps(approvers)}\nexpires_after = "{expires}"\n'
    )


@pytest.fixture(scope="module")
def clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Three control planes and one kubeconfig naming them as parity.toml's contexts."""
    base = tmp_path_factory.mktemp("clusters")
    planes = [controlplane.ControlPlane(f"finsight-{env}", base / env, index) for env, index in ENVS.items()]
    started = []
    try:
        for plane in planes:
            controlplane.start(plane, ROOT, DEVENV)
            started.append(plane)
        merged: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [],
            "users": [],
            "contexts": [],
        }
        for plane in planes:
            config = json.loads(plane.kubeconfig.read_text())
            for key in ("clusters", "users", "contexts"):
                for item in config[key]:
                    item["name"] = plane.name
                    if key == "contexts":
                        item["context"] = {"cluster": plane.name, "user": plane.name}
                    merged[key].append(item)
        kubeconfig = base / "kubeconfig"
        kubeconfig.write_text(json.dumps(merged))
        yield kubeconfig
    finally:
        for plane in started:
            controlplane.stop(plane)


def _copy_repo(
    target: Path,
    gates: str = "[]",
    expires: str = "24h",
    approvers: list[str] = APPROVERS,
    timeout: int = 180,
) -> Path:
    copy_tracked(target)
    (target / "parity.toml").write_text(
        _policy((ROOT / "parity.toml").read_text(), gates, expires, approvers, timeout)
    )
    _git(target, "init", "-q")
    _git(target, "add", "-A")
    _git(target, "commit", "-qm", "base")
    return target


class Parity:
    def __init__(self, repo: Path, kubeconfig: Path) -> None:
        self.repo = repo
        self.env = {
            **os.environ,
            "PARITY_DEVENV": str(DEVENV),
            "PARITY_STATE": str(repo / ".parity"),
            "KUBECONFIG": str(kubeconfig),
            "PARITY_ACTOR": "release-bot@finsight.io",
        }

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "parity", *args],
            cwd=self.repo,
            env=self.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def __call__(self, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "parity", *args],
            cwd=self.repo,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=400,
        )
        assert done.returncode == code, (
            f"parity {' '.join(args)} -> {done.returncode}\n{done.stdout}\n{done.stderr}"
        )
        return done

    def refused(self, *args: str, says: str) -> None:
        done = self(*args, code=3)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and says in lines[0], done.stderr

    def create(self) -> str:
        return self("release", "create").stdout.splitlines()[-1]

    def approve_and_promote(self, release: str) -> None:
        self("promote", release, "--to", "dev")
        self("promote", release, "--to", "staging")
        self("approve", release, "--env", "prod", "--as", "carol@finsight.io")
        self("approve", release, "--env", "prod", "--as", "dave@finsight.io")
        self("promote", release, "--to", "prod")


def _kubectl(kubeconfig: Path, env: str, *args: str) -> Any:
    done = subprocess.run(
        [str(DEVENV / "bin" / "kubectl"), f"--kubeconfig={kubeconfig}", f"--context=finsight-{env}", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout) if "json" in args else done.stdout


def _contains(live: Any, wanted: Any, path: str = "") -> list[str]:
    """Every field of the rendering, as the server holds it (the server adds defaults and status)."""
    if isinstance(wanted, Mapping):
        if not isinstance(live, Mapping):
            return [f"{path}: not an object"]
        return [d for k, v in wanted.items() for d in _contains(live.get(k), v, f"{path}.{k}")]
    if isinstance(wanted, list):
        if not isinstance(live, list) or len(live) != len(wanted):
            return [f"{path}: {len(wanted)} items wanted"]
        return [
            d
            for i, (a, b) in enumerate(zip(live, wanted, strict=True))
            for d in _contains(a, b, f"{path}[{i}]")
        ]
    return [] if live == wanted or str(live) == str(wanted) else [f"{path}: {live!r} != {wanted!r}"]


def _live_objects(
    kubeconfig: Path, env: str, documents: list[dict[str, Any]]
) -> dict[tuple[str, str, str], Any]:
    kinds = sorted(
        {f"{d['kind'].lower()}.{d['apiVersion'].rpartition('/')[0]}".rstrip(".") for d in documents}
    )
    items = _kubectl(
        kubeconfig,
        env,
        "get",
        ",".join(kinds),
        "-A",
        "-l",
        "app.kubernetes.io/managed-by=parity",
        "-o",
        "json",
    )
    return {(i["kind"], i["metadata"].get("namespace", ""), i["metadata"]["name"]): i for i in items["items"]}


def _release_documents(repo: Path, release: str, env: str) -> list[dict[str, Any]]:
    text = (repo / ".parity" / "releases" / release / f"{env}.yaml").read_text()
    return [d for d in yaml.safe_load_all(text) if d]


@pytest.fixture(scope="module")
def flow(clusters: Path, tmp_path_factory: pytest.TempPathFactory) -> Parity:
    return Parity(_copy_repo(tmp_path_factory.mktemp("e2e")), clusters)


def test_two_releases_go_to_prod_and_rollback_restores_the_first_exactly(
    flow: Parity, clusters: Path
) -> None:
    r1 = flow.create()
    assert flow.create() == r1  # the same tree is the same release
    flow.approve_and_promote(r1)

    base = flow.repo / "k8s" / "base"
    (base / "configmap-release-notes.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: release-notes\ndata:\n  notes: R2 only\n"
    )
    kustomization = (base / "kustomization.yaml").read_text()
    (base / "kustomization.yaml").write_text(
        kustomization.replace("resources:\n", "resources:\n- configmap-release-notes.yaml\n", 1)
    )
    _git(flow.repo, "add", "-A")
    _git(flow.repo, "commit", "-qm", "R2: release notes", who="Bob <bob@finsight.io>")
    r2 = flow.create()
    assert r2 != r1
    flow.approve_and_promote(r2)
    assert any(
        k[2].startswith("release-notes")
        for k in _live_objects(clusters, "prod", _release_documents(flow.repo, r2, "prod"))
    )

    done = flow("rollback", "prod")
    assert done.stdout.startswith(f"rolled prod back to {r1} in ")
    wanted = _release_documents(flow.repo, r1, "prod")
    deadline = time.monotonic() + 60
    while True:
        live = _live_objects(clusters, "prod", _release_documents(flow.repo, r2, "prod"))
        if len(live) == len(wanted) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert not [k for k in live if k[2].startswith("release-notes")], "the object only R2 had was not pruned"
    assert len(live) == len(wanted)
    differences = [
        f"{d['kind']}/{d['metadata']['name']}{problem}"
        for d in wanted
        for problem in _contains(
            live[(d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])], d
        )
    ]
    assert differences == []
    assert flow("audit", "verify").returncode == 0
    pending = flow("audit", "pending").stdout
    assert "no pending obligations" in pending


def test_refusals_exit_3_with_one_line(flow: Parity, clusters: Path) -> None:
    _git(flow.repo, "commit", "-q", "--allow-empty", "-m", "R3")  # by Alice, an approver too
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
    _git(parity.repo, "commit", "-q", "--allow-empty", "-m", "change", who="Bob <bob@finsight.io>")
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
    _git(flow.repo, "commit", "-q", "--allow-empty", "-m", "hotfix", who="Bob <bob@finsight.io>")
    hotfix = flow.create()
    flow("promote", hotfix, "--to", "dev")
    flow("promote", hotfix, "--to", "staging")
    bad = flow("promote", hotfix, "--to", "prod", "--emergency", code=2)
    assert "--emergency: needs --reason" in bad.stderr
    flow("promote", hotfix, "--to", "prod", "--emergency", "--reason", "INC-4711 ledger consumer down")
    assert "INC-4711" in flow("audit", "pending").stdout
    flow("approve", hotfix, "--env", "prod", "--as", "carol@finsight.io")
    assert "INC-4711" in flow("audit", "pending").stdout
    flow("approve", hotfix, "--env", "prod", "--as", "erin@finsight.io")
    assert "no pending obligations" in flow("audit", "pending").stdout


def test_twenty_concurrent_promotions_and_approvals_keep_one_whole_chain(
    clusters: Path, tmp_path: Path
) -> None:
    parity = Parity(_copy_repo(tmp_path / "repo", approvers=[]), clusters)
    _git(parity.repo, "commit", "-q", "--allow-empty", "-m", "busy", who="Bob <bob@finsight.io>")
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
    _git(flow.repo, "commit", "-q", "--allow-empty", "-m", "crash", who="Bob <bob@finsight.io>")
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
    _git(parity.repo, "commit", "-qam", "pin the consumer to a pool no node has", who="Bob <bob@finsight.io>")
    bad = parity.create()
    failed = parity("promote", bad, "--to", "dev", code=1)
    assert f"rolled dev back to {good} automatically" in failed.stderr
    assert "not healthy after 20s" in failed.stderr
    actions = [(e["action"], e["release"]) for e in FileLedger(parity.repo / ".parity").entries()][-3:]
    assert actions == [("promote.start", bad), ("promote.failed", bad), ("rollback", good)]
    live = _kubectl(
        clusters, "dev", "get", "deployment", "events-consumer", "-n", "finsight-dev", "-o", "json"
    )
    assert "nodeSelector" not in live["spec"]["template"]["spec"]
    assert parity("audit", "verify").returncode == 0
