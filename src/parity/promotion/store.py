"""Edge: the release store (`.parity/releases/<id>/`): the release record and, per environment,
the manifest promotion applies there, written whole into a directory renamed into place.

A release's renderings are kept because rollback must re-apply exactly what was promoted, long
after the repository has moved on.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity import kustomize, loaders
from parity.errors import BadInput
from parity.manifest import dump, parse_documents
from parity.policy import Policy
from parity.release import Release, digest, labelled, require_id

STATE_VARIABLE = "PARITY_STATE"  # where releases, locks and the ledger live (default: .parity)
LOCK_FILES = (
    "pdm.lock",
    "lock/pdm.airflow.lock",
    "lock/pdm.dbt.lock",
    "lock/pdm.spark.lock",
    "lock/pdm.streaming.lock",
    "lock/images.lock.json",
    "lock/images-base.lock.json",
    "lock/spark-jars.lock",
    "lock/tools.lock.toml",
    "pipelines/dbt/package-lock.yml",
)


def state_dir(root: Path) -> Path:
    return Path(os.environ.get(STATE_VARIABLE) or root / ".parity")


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        raise BadInput(f"git {args[0]}", message, "Run parity in the platform repository's git checkout")
    return done.stdout


@dataclass(frozen=True)
class Stored:
    release: Release
    directory: Path

    def manifest(self, env: str) -> str:
        return (self.directory / f"{env}.yaml").read_text()

    def documents(self, env: str) -> list[dict[str, Any]]:
        return [d for d in parse_documents(self.manifest(env), f"release {self.release.id} ({env})") if d]


def _images(root: Path) -> dict[str, str]:
    data = loaders.load_json(root, "lock/images.lock.json")
    return {name: str(entry["digest"]) for name, entry in sorted(data["images"].items())}


def _evidence(paths: list[Path]) -> dict[str, str]:
    out = {}
    for path in paths:
        text = loaders.read_text(path, str(path), "Pass the evidence file parity gate wrote")
        document = loaders.parse_json(text, str(path))
        gate = document.get("gate") if isinstance(document, dict) else None
        if not isinstance(gate, str):
            raise BadInput(
                str(path), "is not gate evidence (no gate name)", "Pass a file parity gate --evidence wrote"
            )
        if document.get("ok") is False or document.get("passed") is False:
            raise BadInput(
                str(path), f"records a failed {gate} gate", "Fix what the gate reported and run it again"
            )
        out[gate] = digest(text.encode())
    return out


def build(root: Path, policy: Policy, evidence: list[Path]) -> tuple[Release, dict[str, str]]:
    """The release of the tree at HEAD, and the manifest of each promotion environment and of
    each stand-in."""
    if git(
        root,
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        "k8s",
        "overlays",
        "lock",
        "pipelines",
        "images",
    ).strip():
        raise BadInput(
            str(root),
            "has uncommitted changes to what a release carries",
            "Commit them first: a release names one commit",
        )
    sha = git(root, "rev-parse", "HEAD").strip()
    manifests = {}
    stand_ins = {s.rendering: env for env, s in policy.promotion.stand_ins.items()}
    for rendering in (*policy.path, *sorted(stand_ins)):
        _, documents = kustomize.build(root, rendering)
        env = stand_ins.get(rendering, rendering)  # a stand-in's objects are the environment's
        manifests[rendering] = "---\n".join(dump(labelled(d, env)) for d in documents if isinstance(d, dict))
    locks = {name: digest((root / name).read_bytes()) for name in LOCK_FILES if (root / name).is_file()}
    release = Release(
        sha,
        _images(root),
        locks,
        {env: digest(text.encode()) for env, text in manifests.items()},
        _evidence(evidence),
    )
    return release, manifests


def save(state: Path, release: Release, manifests: Mapping[str, str]) -> bool:
    """Store the release whole; False if it was stored already (the same content, the same id)."""
    target = state / "releases" / release.id
    if (target / "release.json").is_file():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{release.id}.", dir=target.parent))
    for env, text in manifests.items():
        (staging / f"{env}.yaml").write_text(text)
    (staging / "release.json").write_text(
        json.dumps({"id": release.id, **release.content()}, indent=2, sort_keys=True) + "\n"
    )
    try:
        staging.rename(target)
    except OSError:  # another process stored the same release first
        shutil.rmtree(staging, ignore_errors=True)
        return False
    return True


def record(state: Path, release_id: str) -> Release:
    """The release record alone (its manifests unread): for its facts, not for applying it."""
    source = f"release {release_id}"
    path = state / "releases" / require_id(release_id) / "release.json"
    text = loaders.read_text(path, source, "List the releases with parity release list")
    return Release.from_dict(loaders.parse_json(text, source), source)


def load(state: Path, release_id: str) -> Stored:
    """The release with its manifests, each checked against the hash the release records."""
    directory = state / "releases" / require_id(release_id)
    source = f"release {release_id}"
    release = record(state, release_id)
    for env, expected in release.renderings.items():
        actual = (
            digest((directory / f"{env}.yaml").read_bytes())
            if (directory / f"{env}.yaml").is_file()
            else "missing"
        )
        if actual != expected:
            raise BadInput(
                f"{source} ({env})",
                "manifest does not match the release's hash",
                "The store was edited; re-create the release",
            )
    return Stored(release, directory)


def ids(state: Path) -> list[str]:
    directory = state / "releases"
    return (
        sorted(p.name for p in directory.iterdir() if (p / "release.json").is_file())
        if directory.is_dir()
        else []
    )
