"""Edge: a release's manifest onto an environment's cluster (its kubeconfig context): server-side
apply, then prune what parity applied there before that this manifest no longer has, then wait
for every workload's rollout. Health per kind is pure (`unhealthy`).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from parity.errors import BadInput, ParityError
from parity.release import ENV_LABEL, MANAGED_LABEL, MANAGED_VALUE

WORKLOADS = "deployments.apps,statefulsets.apps,daemonsets.apps"
# A Job's pod template cannot change once made: the API server refuses the apply for that Job.
IMMUTABLE_JOB = re.compile(r'Job(?:\.batch)? "([^"]+)" is invalid: spec\.template: .*field is immutable')


class ApplyFailed(ParityError):
    exit_code = 1
    output = ""  # kubectl's whole stderr


def immutable_jobs(output: str) -> list[str]:
    """The Jobs kubectl could not update because the release changed their pod template."""
    return sorted(set(IMMUTABLE_JOB.findall(output)))


Key = tuple[str, str, str, str]  # group, kind, namespace, name


def key(document: Mapping[str, Any]) -> Key:
    group = str(document["apiVersion"]).rpartition("/")[0]
    metadata = document["metadata"]
    return group, str(document["kind"]), str(metadata.get("namespace") or ""), str(metadata["name"])


def resource_name(group: str, kind: str) -> str:
    return f"{kind.lower()}.{group}" if group else kind.lower()


def unhealthy(workload: Mapping[str, Any]) -> str | None:
    """Why a Deployment, StatefulSet or DaemonSet has not rolled out (None: it has)."""
    spec, status = workload.get("spec", {}), workload.get("status", {})
    generation = workload["metadata"].get("generation", 0)
    if status.get("observedGeneration", 0) < generation:
        return "its controller has not seen the new spec"
    kind = workload["kind"]
    if kind == "DaemonSet":
        wanted = status.get("desiredNumberScheduled", 0)
        if status.get("updatedNumberScheduled", 0) < wanted or status.get("numberAvailable", 0) < wanted:
            return f"{status.get('numberAvailable', 0)}/{wanted} available"
        return None
    wanted = spec.get("replicas", status.get("replicas", 1))
    for condition in status.get("conditions", []):
        if condition.get("reason") == "ProgressDeadlineExceeded":
            return "its progress deadline passed"
    ready = status.get("availableReplicas" if kind == "Deployment" else "readyReplicas", 0)
    if status.get("updatedReplicas", 0) < wanted or ready < wanted:
        return f"{ready}/{wanted} ready, {status.get('updatedReplicas', 0)} updated"
    if status.get("replicas", 0) > wanted:
        return f"{status.get('replicas', 0) - wanted} old replica(s) still terminating"
    return None


def stale(live: Iterable[Mapping[str, Any]], wanted: set[Key]) -> list[Key]:
    """Objects parity applied that the new manifest lacks: what prune deletes."""
    return sorted(k for k in (key(item) for item in live) if k not in wanted)


class Cluster:
    """An environment's cluster through the locked kubectl and the environment's context."""

    def __init__(
        self, kubectl: str, context: str, env: str, rendering: str = "", kubeconfig: str = ""
    ) -> None:
        config = [f"--kubeconfig={kubeconfig}"] if kubeconfig else []
        self.base = [kubectl, *config, f"--context={context}", "--request-timeout=60s"]
        self.context = context
        self.env = env
        self.rendering = rendering or env  # which of the release's manifests goes here
        self.selector = f"{MANAGED_LABEL}={MANAGED_VALUE},{ENV_LABEL}={env}"

    def run(self, *args: str, input: str | None = None, timeout: float = 300) -> str:
        try:
            done = subprocess.run(
                [*self.base, *args], input=input, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise ApplyFailed(
                f"{self.env} ({self.context})",
                f"kubectl {args[0]} took over {timeout:.0f}s",
                "Check the cluster",
            ) from None
        if done.returncode != 0:
            message = (done.stderr.strip() or done.stdout.strip()).splitlines() or ["failed"]
            if "context was not found" in message[-1] or (
                "does not exist" in message[-1] and "context" in message[-1]
            ):
                raise BadInput(
                    f"context {self.context}",
                    "is not in the kubeconfig",
                    f"Add it to $KUBECONFIG, or fix promotion.contexts.{self.env} in parity.toml",
                )
            failed = ApplyFailed(
                f"{self.env} ({self.context})",
                f"kubectl {args[0]}: {message[-1][:300]}",
                "Check the cluster and the release's manifest",
            )
            failed.output = done.stderr
            raise failed
        return done.stdout

    def apply(self, documents: Sequence[Mapping[str, Any]]) -> None:
        namespaces = sorted({key(d)[2] for d in documents} - {""})
        if namespaces:
            self.run(
                "apply",
                "--server-side",
                "--field-manager=parity",
                "-f",
                "-",
                input=json.dumps(
                    {
                        "apiVersion": "v1",
                        "kind": "List",
                        "items": [
                            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}}
                            for n in namespaces
                        ],
                    }
                ),
            )
        listing = json.dumps({"apiVersion": "v1", "kind": "List", "items": list(documents)})
        command = ("apply", "--server-side", "--force-conflicts", "--field-manager=parity", "-f", "-")
        try:
            self.run(*command, input=listing)
        except ApplyFailed as exc:
            # A release that changes a Job's pod template replaces the Job (Argo CD's Replace=true).
            namespaced = {key(d)[3]: key(d)[2] for d in documents if d.get("kind") == "Job"}
            jobs = [name for name in immutable_jobs(exc.output) if name in namespaced]
            if not jobs:
                raise
            for name in jobs:
                scope = ["-n", namespaced[name]] if namespaced[name] else []
                self.run("delete", f"job.batch/{name}", *scope, "--ignore-not-found", "--wait=true")
            self.run(*command, input=listing)

    def managed(self, kinds: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
        names = ",".join(sorted({resource_name(g, k) for g, k in kinds}))
        if not names:
            return []
        out = self.run("get", names, "-A", "-l", self.selector, "-o", "json", "--ignore-not-found")
        return list(json.loads(out).get("items", [])) if out.strip() else []

    def prune(
        self, documents: Sequence[Mapping[str, Any]], previous: Sequence[Mapping[str, Any]]
    ) -> list[Key]:
        wanted = {key(d) for d in documents}
        kinds = {(k[0], k[1]) for k in wanted} | {(key(d)[0], key(d)[1]) for d in previous}
        doomed = stale(self.managed(kinds), wanted)
        for group, kind, namespace, name in doomed:
            scope = ["-n", namespace] if namespace else []
            self.run(
                "delete", f"{resource_name(group, kind)}/{name}", *scope, "--ignore-not-found", "--wait=false"
            )
        return doomed

    def wait_healthy(self, timeout: float, say: Any = None) -> None:
        deadline = time.monotonic() + timeout
        while True:
            out = self.run("get", WORKLOADS, "-A", "-l", self.selector, "-o", "json")
            waiting = {
                f"{w['kind']}/{w['metadata']['name']}": why
                for w in json.loads(out).get("items", [])
                if (why := unhealthy(w)) is not None
            }
            if not waiting:
                return
            if time.monotonic() > deadline:
                first = sorted(waiting.items())[0]
                raise ApplyFailed(
                    f"{self.env} rollout",
                    f"{len(waiting)} workload(s) not healthy after {timeout:.0f}s, "
                    f"first {first[0]}: {first[1]}",
                    "The release was rolled back; see kubectl describe for the cause",
                )
            time.sleep(1)
