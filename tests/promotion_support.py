"""What the promotion tests share: control planes named as parity.toml's contexts, a committed
copy of the repository with the test's policy, `parity` as a release engineer runs it, and the
field-by-field comparison of live objects with a release's manifest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from parity.cluster import controlplane
from tests.conftest import copy_tracked

ROOT = Path(__file__).resolve().parent.parent
DEVENV = Path(os.environ.get("PARITY_DEVENV", ROOT / ".devenv"))
AUTHOR = "alice@finsight.io"
APPROVERS = ["carol@finsight.io", "dave@finsight.io", "erin@finsight.io", AUTHOR]


def git(repo: Path, *args: str, who: str = "Alice <alice@finsight.io>") -> None:
    name, email = who[:-1].split(" <")
    subprocess.run(
        ["git", "-c", f"user.name={name}", "-c", f"user.email={email}", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def contexts(envs: Mapping[str, str]) -> str:
    return "[promotion.contexts]\n" + "".join(f'{env} = "{context}"\n' for env, context in envs.items())


def policy(text: str, extra: str, gates: str, expires: str, approvers: list[str], timeout: int) -> str:
    """The repository's parity.toml with the test's contexts (and stand-ins), gates, approvers and
    expiry."""
    start = text.index("[promotion]")
    end = text.index("# Environments that are not on the promotion path", start)
    promotion = (
        f'[promotion]\npath = ["dev", "staging", "prod"]\ngates = {gates}\n'
        f"rollout_timeout_seconds = {timeout}\n{extra}\n"
    )
    text = text[:start] + promotion + text[end:]
    text = text[: text.index("[approvals.prod]")]
    return text + (
        f"[approvals.prod]\nrequired = 2\nseparation_of_duties = true\n"
        f'approvers = {json.dumps(approvers)}\nexpires_after = "{expires}"\n'
    )


def copy_repo(
    target: Path,
    extra: str,
    gates: str = "[]",
    expires: str = "24h",
    approvers: list[str] = APPROVERS,
    timeout: int = 180,
) -> Path:
    copy_tracked(target)
    (target / "parity.toml").write_text(
        policy((ROOT / "parity.toml").read_text(), extra, gates, expires, approvers, timeout)
    )
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "commit", "-qm", "base")
    return target


@contextmanager
def planes(base: Path, indices: Mapping[str, int]) -> Iterator[Path]:
    """A control plane per environment (`finsight-ENV`, its ports from the index) and one
    kubeconfig naming them as contexts."""
    running = [controlplane.ControlPlane(f"finsight-{env}", base / env, i) for env, i in indices.items()]
    started = []
    try:
        for plane in running:
            controlplane.start(plane, ROOT, DEVENV)
            started.append(plane)
        merged: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [],
            "users": [],
            "contexts": [],
        }
        for plane in running:
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

    def approve_and_promote(self, release: str, *dev: str) -> None:
        """dev, staging, then prod with two approvals (`dev`: extra flags, such as --stand-in)."""
        self("promote", release, "--to", "dev", *dev)
        self("promote", release, "--to", "staging")
        self("approve", release, "--env", "prod", "--as", "carol@finsight.io")
        self("approve", release, "--env", "prod", "--as", "dave@finsight.io")
        self("promote", release, "--to", "prod")


def kubectl(kubeconfig: Path, context: str, *args: str) -> Any:
    done = subprocess.run(
        [str(DEVENV / "bin" / "kubectl"), f"--kubeconfig={kubeconfig}", f"--context={context}", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout) if "json" in args else done.stdout


def contains(live: Any, wanted: Any, path: str = "") -> list[str]:
    """Every field of the rendering, as the server holds it (the server adds defaults and status)."""
    if isinstance(wanted, Mapping):
        if not isinstance(live, Mapping):
            return [f"{path}: not an object"]
        return [d for k, v in wanted.items() for d in contains(live.get(k), v, f"{path}.{k}")]
    if isinstance(wanted, list):
        if not isinstance(live, list) or len(live) != len(wanted):
            return [f"{path}: {len(wanted)} items wanted"]
        return [
            d
            for i, (a, b) in enumerate(zip(live, wanted, strict=True))
            for d in contains(a, b, f"{path}[{i}]")
        ]
    return [] if live == wanted or str(live) == str(wanted) else [f"{path}: {live!r} != {wanted!r}"]


Live = dict[tuple[str, str, str], Any]


def live_objects(kubeconfig: Path, context: str, env: str, documents: list[dict[str, Any]]) -> Live:
    """What parity manages for `env` on that cluster, of the kinds the documents have."""
    kinds = sorted(
        {f"{d['kind'].lower()}.{d['apiVersion'].rpartition('/')[0]}".rstrip(".") for d in documents}
    )
    selector = f"app.kubernetes.io/managed-by=parity,parity.finsight.io/environment={env}"
    items = kubectl(kubeconfig, context, "get", ",".join(kinds), "-A", "-l", selector, "-o", "json")
    return {(i["kind"], i["metadata"].get("namespace", ""), i["metadata"]["name"]): i for i in items["items"]}


def release_documents(repo: Path, release: str, rendering: str) -> list[dict[str, Any]]:
    text = (repo / ".parity" / "releases" / release / f"{rendering}.yaml").read_text()
    return [d for d in yaml.safe_load_all(text) if d]


def differences(live: Live, wanted: list[dict[str, Any]]) -> list[str]:
    """Each field of the manifest the live object lacks or holds otherwise; a missing object too."""
    out = []
    for d in wanted:
        found = live.get((d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]))
        if found is None:
            out.append(f"{d['kind']}/{d['metadata']['name']}: missing")
            continue
        out += [f"{d['kind']}/{d['metadata']['name']}{problem}" for problem in contains(found, d)]
    return out


R2_NOTE = "finsight.io/change"


def commit_second_release(repo: Path) -> None:
    """R2, by another author: a ConfigMap only it has, and a changed pod template in a Deployment
    (a rollout) and in the dbt-runner Job (whose template the API server will not update)."""
    base = repo / "k8s" / "base"
    (base / "configmap-release-notes.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: release-notes\ndata:\n  notes: R2 only\n"
    )
    kustomization = (base / "kustomization.yaml").read_text()
    (base / "kustomization.yaml").write_text(
        kustomization.replace("resources:\n", "resources:\n- configmap-release-notes.yaml\n", 1)
    )
    for name in ("deployment-events-consumer.yaml", "job-dbt-runner.yaml"):
        text = (base / name).read_text()
        marked = text.replace(
            "  template:\n    metadata:\n",
            f"  template:\n    metadata:\n      annotations:\n        {R2_NOTE}: r2\n",
            1,
        )
        assert marked != text, name
        (base / name).write_text(marked)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "R2: release notes", who="Bob <bob@finsight.io>")
