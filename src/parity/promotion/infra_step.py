"""Infrastructure before workloads: what `parity promote` applies in the target environment before
the release's manifest. The declarations are the release's own (its commit's overlays/ and infra/,
not the working tree's), applied by the same code as `parity infra apply`, and the promotion goes
on only when nothing remains drifted."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from parity.errors import ParityError
from parity.infra.plan import run_parts
from parity.policy import Policy
from parity.promotion.apply import ApplyFailed

DECLARATIONS = ("overlays", "infra")


def _extract(root: Path, sha: str, target: Path) -> None:
    archive = subprocess.run(
        ["git", "archive", "--format=tar", sha, *DECLARATIONS], cwd=root, capture_output=True, check=False
    )
    if archive.returncode != 0:
        message = (archive.stderr.decode(errors="replace").strip().splitlines() or ["git archive failed"])[-1]
        raise ApplyFailed(
            f"release commit {sha[:12]}", f"its declarations cannot be read: {message}", "Check it"
        )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")


def apply(root: Path, policy: Policy, sha: str, env: str, stand_in: bool) -> dict[str, Any]:
    """The infra facts for the ledger ({} when the environment has no [promotion.infra] table, or
    runs on a stand-in); raises ApplyFailed when apply fails or leaves drift."""
    target = None if stand_in else policy.promotion.infra.get(env)
    if target is None:
        return {}
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="parity-infra-") as tmp:
        _extract(root, sha, Path(tmp))
        try:
            parts = run_parts(
                Path(tmp),
                policy,
                "apply",
                env,
                target.parts,
                target.bootstrap_servers or None,
                target.aws_endpoint_url or None,
            )
        except ParityError as exc:
            raise ApplyFailed(
                f"{env} infrastructure", str(exc), "Fix it; the workloads were not applied"
            ) from None
    left = [d.line() for part in parts.values() for d in part.drift]
    if left:
        raise ApplyFailed(
            f"{env} infrastructure",
            f"{len(left)} drift(s) remain after apply, first: {left[0]}",
            "Fix it by hand (parity infra plan shows all); the workloads were not applied",
        )
    return {
        "parts": list(parts),
        "applied": [d.line() for part in parts.values() for d in part.applied],
        "seconds": round(time.monotonic() - began, 2),
    }
