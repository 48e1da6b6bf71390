"""Benchmark `parity rollback prod` of the full prod rendering (every Deployment at prod's replica
counts, HPAs at prod's minimums, 15 SparkApplications) on a control plane whose nodes kwok plays,
against the peer path measured in the same run: `kubectl apply --server-side` of the same manifest
followed by `kubectl rollout status` of every Deployment (what a GitOps sync does, without prune,
ledger or locks). Target: under 60 s; the requirement is 10 minutes.

R2 changes every pod template (an annotation), so rolling back rolls every workload. kwok plays
each pod's lifecycle with its stock stages (about 1 to 6 s per step: created, init containers,
running, ready, deleted), so a rollout takes as many steps as the Deployments' surge allows.

Usage: python -m benchmarks.bench_rollback [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.scale import copy_repository
from parity.cluster import controlplane

ROOT = Path(__file__).resolve().parent.parent
DEVENV = Path(os.environ.get("PARITY_DEVENV", ROOT / ".devenv"))


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Dev", "-c", "user.email=dev@finsight.io", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _repo(target: Path) -> Path:
    copy_repository(target)
    policy = (
        (target / "parity.toml").read_text().replace('gates = ["dags", "schema", "quality"]', "gates = []")
    )
    policy = policy.replace('[promotion.soak]\nprod = "30m"\n', "")
    policy = policy.split("\n[signing]")[0]  # its images are in no registry: it times apply and rollout
    for env in ("dev", "staging", "prod"):  # one cluster holds all three (each in its namespace)
        policy = policy.replace(f'{env} = "finsight-{env}"', f'{env} = "bench"')
    (target / "parity.toml").write_text(policy)
    _git(target, "init", "-q")
    _git(target, "add", "-A")
    _git(target, "commit", "-qm", "R1")
    return target


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser()
    options.add_argument("--repeat", type=int, default=3)
    args = options.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="parity-bench-rollback-") as tmp:
        base = Path(tmp)
        plane = controlplane.ControlPlane("bench", base / "cluster", 6)
        startup = controlplane.start(plane, ROOT, DEVENV, nodes=8)
        try:
            return _measure(base, plane, startup, args.repeat)
        finally:
            controlplane.stop(plane)


def _measure(base: Path, plane: controlplane.ControlPlane, startup: float, repeat: int) -> int:
    repo = _repo(base / "repo")
    env = {
        **os.environ,
        "PARITY_DEVENV": str(DEVENV),
        "PARITY_STATE": str(repo / ".parity"),
        "KUBECONFIG": str(plane.kubeconfig),
    }

    def parity(*words: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "parity", *words], cwd=repo, env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SystemExit(f"parity {' '.join(words)} failed: {done.stderr.strip()}")
        return done.stdout

    def kubectl(*words: str, stdin: str | None = None) -> str:
        return subprocess.run(
            [str(DEVENV / "bin" / "kubectl"), f"--kubeconfig={plane.kubeconfig}", *words],
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def ship(release: str) -> None:
        parity("promote", release, "--to", "dev")
        parity("promote", release, "--to", "staging")
        parity("approve", release, "--env", "prod", "--as", "maria.lopez@finsight.io")
        parity("approve", release, "--env", "prod", "--as", "sam.okafor@finsight.io")
        parity("promote", release, "--to", "prod")

    r1 = parity("release", "create").splitlines()[-1]
    ship(r1)
    kustomization = repo / "k8s" / "base" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "commonAnnotations:\n  finsight.io/change: r2\n")
    _git(repo, "commit", "-qam", "R2")
    r2 = parity("release", "create").splitlines()[-1]
    ship(r2)
    manifest = (repo / ".parity" / "releases" / r1 / "prod.yaml").read_text()
    objects = manifest.count("\napiVersion:") + 1
    pods = json.loads(kubectl("get", "pods", "-n", "finsight-prod", "-o", "json"))["items"]

    ours, peers = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        parity("rollback", "prod", "--to", r1)
        ours.append(time.perf_counter() - began)
        parity("rollback", "prod", "--to", r2)  # back to R2 for the next round (not timed)
        began = time.perf_counter()
        kubectl(
            "apply", "--server-side", "--force-conflicts", "--field-manager=parity", "-f", "-", stdin=manifest
        )
        deployments = json.loads(kubectl("get", "deployments", "-n", "finsight-prod", "-o", "json"))["items"]
        for deployment in deployments:
            kubectl(
                "rollout",
                "status",
                "-n",
                "finsight-prod",
                f"deployment/{deployment['metadata']['name']}",
                "--timeout=600s",
            )
        peers.append(time.perf_counter() - began)
        parity("rollback", "prod", "--to", r2)
    mine, peer = statistics.median(ours), statistics.median(peers)
    entries = [json.loads(line) for line in (repo / ".parity" / "ledger.jsonl").read_text().splitlines()]
    phases = [e["details"]["phases"] for e in entries if e["action"] == "rollback" and e["release"] == r1]
    print(
        f"control plane (etcd, apiserver, controller-manager, scheduler, kwok x8 nodes) up in {startup:.1f}s"
    )
    print(f"prod rendering: {objects} objects, {len(pods)} pods at R2")
    print(
        f"parity rollback prod (apply + prune + rollout health + ledger): median {mine:6.1f}s of {repeat} "
        f"(runs {', '.join(f'{s:.1f}' for s in ours)}); "
        f"target < 60s ({mine / 60:.0%} of it), requirement < 600s"
    )
    print(
        f"peer: kubectl apply --server-side + rollout status per Deployment: median {peer:6.1f}s "
        f"(runs {', '.join(f'{s:.1f}' for s in peers)})"
    )
    print(
        "parity's phases (apply, prune, rollout) per run: "
        + "; ".join(f"{p['apply']:.1f}, {p['prune']:.1f}, {p['rollout']:.1f}" for p in phases)
    )
    print(f"ratio peer/parity: {peer / mine:.2f} (> 1: parity is faster)")
    return 0 if mine < 600 else 1


if __name__ == "__main__":
    raise SystemExit(main())
