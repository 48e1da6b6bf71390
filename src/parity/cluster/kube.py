"""Edge: the API server through the locked kubectl (apply, get, delete), as the admin identity."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from parity.cluster.plan import Layout
from parity.errors import ParityError


class KubeError(ParityError):
    exit_code = 1


class Kube:
    def __init__(self, kubectl: Path, layout: Layout) -> None:
        self.base = [str(kubectl), f"--kubeconfig={layout.pki / 'admin.kubeconfig'}", "--request-timeout=30s"]

    def run(self, *args: str, input: str | None = None, check: bool = True, timeout: float = 120) -> str:
        done = subprocess.run(
            [*self.base, *args], input=input, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and done.returncode != 0:
            message = (done.stderr.strip() or done.stdout.strip()).splitlines()
            raise KubeError(f"kubectl {args[0]}", (message or ["failed"])[-1][:300], "See parity status")
        return done.stdout

    def apply(self, manifest: str) -> str:
        return self.run(
            "apply", "--server-side", "--force-conflicts", "--field-manager=parity", "-f", "-", input=manifest
        )

    def items(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        scope = ["-n", namespace] if namespace else ["-A"]
        out = self.run("get", kind, *scope, "-o", "json", check=False)
        try:
            return list(json.loads(out).get("items", []))
        except ValueError:
            return []
