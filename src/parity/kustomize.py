"""Edge: build an overlay with the pinned kustomize from .devenv/bin."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from parity.devenv import binary
from parity.errors import BadInput
from parity.manifest import parse_documents


def overlay_dir(root: Path, env: str) -> Path:
    path = root / "overlays" / env
    if not (path / "kustomization.yaml").is_file():
        raise BadInput(
            f"overlays/{env}", "has no kustomization.yaml", "Create the overlay or pick a known env"
        )
    return path


def build(root: Path, env: str) -> tuple[str, list[dict[str, Any]]]:
    """The overlay's rendered YAML and its documents; a failing build is bad input (exit 2)."""
    overlay = overlay_dir(root, env)
    done = subprocess.run(
        [binary(root, "kustomize"), "build", overlay], capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        first = next((line for line in done.stderr.splitlines() if line.strip()), "kustomize failed")
        raise BadInput(
            f"overlays/{env}/kustomization.yaml",
            f"kustomize build failed: {first.strip()}",
            f"Fix the overlay (run kustomize build overlays/{env} for the details)",
        )
    return done.stdout, parse_documents(done.stdout, f"overlays/{env} (rendered)")
