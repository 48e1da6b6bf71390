"""Edge: validate rendered manifests with the pinned kubeconform, strictly, against the offline
Kubernetes 1.34 schemas and the vendored CRD schemas (both installed by devenv/bootstrap)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from parity.kustomize import binary, devenv

KUBERNETES_VERSION = "1.34.0"


@dataclass(frozen=True)
class Invalid:
    resource: str
    message: str


def locations(root: Path) -> list[str]:
    schemas = devenv(root) / "schemas"
    return [
        f"{schemas}/kubernetes/{{{{ .NormalizedKubernetesVersion }}}}-standalone{{{{ .StrictSuffix }}}}"
        "/{{ .ResourceKind }}{{ .KindSuffix }}.json",
        f"{schemas}/crds/{{{{ .Group }}}}/{{{{ .ResourceKind }}}}_{{{{ .ResourceAPIVersion }}}}.json",
    ]


def validate(root: Path, rendered: str) -> list[Invalid]:
    args = [
        str(binary(root, "kubeconform")),
        "-strict",
        "-output",
        "json",
        "-kubernetes-version",
        KUBERNETES_VERSION,
    ]
    for location in locations(root):
        args += ["-schema-location", location]
    done = subprocess.run([*args, "-"], input=rendered, capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout or "{}")
    problems = []
    for resource in report.get("resources", []):
        if resource.get("status") in {"statusInvalid", "statusError"}:
            problems.append(
                Invalid(
                    f"{resource.get('kind')}/{resource.get('name')}",
                    str(resource.get("msg", "")).splitlines()[0][:400],
                )
            )
    if done.returncode not in (0, 1) and not problems:
        problems.append(Invalid("(kubeconform)", (done.stderr or "failed").strip().splitlines()[0]))
    return problems
