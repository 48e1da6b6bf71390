"""Edge: validate rendered manifests with the pinned kubeconform, strictly, against the offline
Kubernetes 1.34 schemas and the vendored CRD schemas (both installed by devenv/bootstrap)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from parity.devenv import binary, locate

KUBERNETES_VERSION = "1.34.0"


@dataclass(frozen=True)
class Invalid:
    resource: str
    message: str


def locations(root: Path) -> list[str]:
    schemas = locate(root) / "schemas"
    return [
        f"{schemas}/kubernetes/{{{{ .NormalizedKubernetesVersion }}}}-standalone{{{{ .StrictSuffix }}}}"
        "/{{ .ResourceKind }}{{ .KindSuffix }}.json",
        f"{schemas}/crds/{{{{ .Group }}}}/{{{{ .ResourceKind }}}}_{{{{ .ResourceAPIVersion }}}}.json",
    ]


def validate(root: Path, rendered: dict[str, str]) -> dict[str, list[Invalid]]:
    """Validate several environments' renderings in one kubeconform run: each schema is loaded
    and compiled once for all of them. Returns the problems per environment."""
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
    problems: dict[str, list[Invalid]] = {env: [] for env in rendered}
    with tempfile.TemporaryDirectory(prefix="parity-validate-") as tmp:
        files = {}
        for env, text in rendered.items():
            path = Path(tmp) / f"{env}.yaml"
            path.write_text(text)
            files[str(path)] = env
        done = subprocess.run([*args, *files], capture_output=True, text=True, timeout=600)
    report = json.loads(done.stdout or "{}")
    for resource in report.get("resources", []):
        if resource.get("status") in {"statusInvalid", "statusError"}:
            env = files.get(str(resource.get("filename")), next(iter(rendered)))
            problems[env].append(
                Invalid(
                    f"{resource.get('kind')}/{resource.get('name')}",
                    str(resource.get("msg", "")).splitlines()[0][:400],
                )
            )
    if done.returncode not in (0, 1) and not any(problems.values()):
        for env in problems:
            problems[env].append(Invalid("(kubeconform)", (done.stderr or "failed").strip().splitlines()[0]))
    return problems
