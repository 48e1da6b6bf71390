"""lock/images.lock.json: each workload image's digest, from a reproducible build, and the hash of
the inputs it was built from.

An image's inputs are what its definition (images/<name>/image.toml, images/common.toml) reads:
the hashed export of its lock group, the sources it copies, the jar lock, the builder's pinned
tools and its locked base root filesystem. When they change and the lock does not, the lock is
stale and `parity check` says so; `parity images build --lock` (scripts/lock-images) updates it.

Usage: python -m parity.image_inputs     (exit 1 when an entry is stale)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parity import loaders
from parity.errors import BadInput
from parity.oci import build, definition, layout
from parity.oci.base import read_base_lock
from parity.output import write_atomic

if TYPE_CHECKING:
    from parity.oci.build import Built

LOCK = Path("lock/images.lock.json")
COMPONENT = Path("k8s/components/release-images/kustomization.yaml")


def read_lock(root: Path) -> dict[str, Any]:
    """lock/images.lock.json, the one way it is read: {"images": {name: {"repository", "digest",
    "build_input_hash", ...}}}; a malformed lock is bad input (exit 2) naming the field."""
    text = loaders.read_text(root / LOCK, str(LOCK), "Run scripts/lock-images")
    document = loaders.Fields(loaders.parse_json(text, str(LOCK)), str(LOCK), text)
    for name, entry in document.tables("images").items():
        entry.string("repository")
        if not entry.string("digest").startswith("sha256:"):
            raise entry.error(f"images.{name}.digest", "must be a sha256: digest")
        entry.string("build_input_hash")
    return dict(document.data)


def locked_images(root: Path) -> dict[str, dict[str, Any]]:
    return dict(read_lock(root)["images"])


def current_hashes(root: Path) -> dict[str, str]:
    """Each defined image's build-input hash as its inputs are now."""
    common = definition.load_common(root)
    return {
        name: build.input_hash(root, definition.load(root, name, common)) for name in definition.names(root)
    }


def stale(root: Path, current: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """Images whose recorded build-input hash differs from their inputs now: name -> (locked, actual)."""
    lock = read_lock(root)["images"]
    current = current_hashes(root) if current is None else current
    out = {}
    for name in sorted(set(lock) | set(current)):
        entry = lock.get(name, {})
        actual = current.get(name, "no definition")
        if entry.get("build_input_hash") != actual:
            out[name] = (str(entry.get("build_input_hash", "not in the lock")), actual)
    return out


def component(lock: dict[str, Any]) -> str:
    lines = [
        "# Generated from lock/images.lock.json by scripts/lock-images: do not edit. Every overlay includes",
        "# this component, so every environment runs the same digests.",
        "apiVersion: kustomize.config.k8s.io/v1alpha1",
        "kind: Component",
        "images:",
    ]
    for name, entry in sorted(lock["images"].items()):
        lines += [
            f"  - name: {name}",
            f"    newName: {entry['repository']}",
            f"    digest: {entry['digest']}",
        ]
    lines += ["configurations:", "  - image-fields.yaml", ""]
    return "\n".join(lines)


def record(root: Path, built: list[Built]) -> list[str]:
    """Write the built images' digests into the lock and the release-images component; returns
    the names whose digest changed."""
    lock = read_lock(root)
    bases = read_base_lock(root)["bases"]
    changed = []
    for image in built:
        spec = definition.load(root, image.name)
        before = lock["images"].get(image.name, {})
        if before.get("digest") != image.digest:
            changed.append(image.name)
        inputs = definition.input_files(root, spec)
        lock["images"][image.name] = {
            "repository": spec.repository,
            "digest": image.digest,
            "digest_source": "oci-build",
            "build_input_hash": image.build_input_hash,
            "base": {"packages": spec.base_key, "sha256": bases[spec.base_key]["sha256"]},
            "layers": image.layers,
            "size": image.size,
            # What `parity check` (rule 7) may start by name in this image, read from its layers.
            "executables": layout.executables(image.layout, spec.path_directories),
            "inputs": sorted(
                {p for p in inputs if not p.startswith("pipelines/")}
                | {"/".join(p.split("/")[:2]) for p in inputs if p.startswith("pipelines/")}
            ),
        }
    for name in set(lock["images"]) - set(definition.names(root)):
        del lock["images"][name]
        changed.append(name)
    write_atomic(root / LOCK, json.dumps(lock, indent=2, sort_keys=True) + "\n")
    write_atomic(root / COMPONENT, component(lock))
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m parity.image_inputs", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--repo", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    try:
        problems = stale(args.repo)
    except BadInput as exc:
        print(f"parity: {exc}", file=sys.stderr)
        return exc.exit_code
    for name, (locked, actual) in problems.items():
        print(
            f"{LOCK}: {name}: build_input_hash {locked} != {actual} (inputs changed). "
            "Run scripts/lock-images",
            file=sys.stderr,
        )
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
