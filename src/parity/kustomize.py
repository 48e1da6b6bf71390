"""Edge: build an overlay with the pinned kustomize from .devenv/bin."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from parity.devenv import binary
from parity.errors import BadInput
from parity.manifest import parse_documents

GENERATED = ".parity/envs"  # ephemeral environments' overlays (parity env create), never committed


def overlay_path(root: Path, env: str, variant: str = "overlay") -> str:
    """Where `env`'s overlay is, relative to the root: overlays/ENV, or a generated one (whose
    `local` variant is what a stand-in cluster takes)."""
    generated = f"{GENERATED}/{env}/{variant}"
    if not (root / "overlays" / env).is_dir() and (root / generated / "kustomization.yaml").is_file():
        return generated
    return f"overlays/{env}"


def overlay_dir(root: Path, env: str, variant: str = "overlay") -> Path:
    relative = overlay_path(root, env, variant)
    path = root / relative
    if not (path / "kustomization.yaml").is_file():
        raise BadInput(relative, "has no kustomization.yaml", "Create the overlay or pick a known env")
    return path


def build(root: Path, env: str, variant: str = "overlay") -> tuple[str, list[dict[str, Any]]]:
    """The overlay's rendered YAML and its documents; a failing build is bad input (exit 2)."""
    overlay = overlay_dir(root, env, variant)
    done = subprocess.run(
        [binary(root, "kustomize"), "build", overlay], capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        first = next((line for line in done.stderr.splitlines() if line.strip()), "kustomize failed")
        raise BadInput(
            f"{overlay_path(root, env, variant)}/kustomization.yaml",
            f"kustomize build failed: {first.strip()}",
            f"Fix the overlay (run kustomize build {overlay_path(root, env, variant)} for the details)",
        )
    return done.stdout, parse_documents(done.stdout, f"{overlay_path(root, env, variant)} (rendered)")
