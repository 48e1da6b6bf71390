"""Build-input hashes of the workload images and lock/images.lock.json.

An image's inputs are its Dockerfile and every path the Dockerfile COPYs from the build context
(the repository), minus what .dockerignore excludes: exactly what a build can see. Their hash is
recorded next to the image's digest; when the inputs change and the lock does not, the lock is
stale and `parity check` says so.

Usage: python -m parity.image_inputs [--write | --check]   (scripts/lock-images wraps it)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from parity.errors import BadInput

LOCK = Path("lock/images.lock.json")
COMPONENT = Path("k8s/components/release-images/kustomization.yaml")
IMAGES = Path("images")


def copy_sources(dockerfile: str) -> list[str]:
    """Context paths a Dockerfile COPYs (`COPY --from=stage` reads another stage, not the context)."""
    logical = dockerfile.replace("\\\n", " ").splitlines()
    sources: list[str] = []
    for line in logical:
        words = line.split()
        if not words or words[0].upper() not in {"COPY", "ADD"}:
            continue
        args = [w for w in words[1:] if not w.startswith("--")]
        if any(w.startswith("--from=") for w in words[1:]) or len(args) < 2:
            continue
        sources.extend(args[:-1])
    return sources


def ignore_patterns(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def ignored(relative: str, patterns: list[str]) -> bool:
    parts = relative.split("/")
    for k in range(1, len(parts) + 1):
        prefix = "/".join(parts[:k])
        for pattern in patterns:
            if fnmatchcase(prefix, pattern):
                return True
            if pattern.startswith("**/") and fnmatchcase(parts[k - 1], pattern[3:]):
                return True
    return False


def input_files(root: Path, name: str) -> list[str]:
    dockerfile = IMAGES / name / "Dockerfile"
    if not (root / dockerfile).is_file():
        raise BadInput(
            str(dockerfile), "missing", f"Add a Dockerfile for image {name!r} or drop it from the lock"
        )
    ignore_file = root / ".dockerignore"
    patterns = ignore_patterns(ignore_file.read_text()) if ignore_file.is_file() else []
    files = {dockerfile.as_posix()}
    for source in copy_sources((root / dockerfile).read_text()):
        path = root / source
        if not path.exists():
            raise BadInput(f"{dockerfile}", f"COPY source {source} does not exist", "Fix the COPY line")
        candidates = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for candidate in candidates:
            relative = candidate.relative_to(root).as_posix()
            if not ignored(relative, patterns):
                files.add(relative)
    return sorted(files)


def build_input_hash(root: Path, name: str) -> str:
    digest = hashlib.sha256()
    for relative in input_files(root, name):
        digest.update(relative.encode() + b"\0" + hashlib.sha256((root / relative).read_bytes()).digest())
    return "sha256:" + digest.hexdigest()


def read_lock(root: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((root / LOCK).read_text())
    except FileNotFoundError:
        raise BadInput(str(LOCK), "missing", "Run scripts/lock-images") from None
    except json.JSONDecodeError as exc:
        raise BadInput(str(LOCK), f"not valid JSON (line {exc.lineno})", "Fix it or regenerate it") from None
    return data


def stale(root: Path) -> dict[str, tuple[str, str]]:
    """Images whose recorded build-input hash differs from their inputs now: name -> (locked, actual)."""
    lock = read_lock(root)
    out = {}
    for name, entry in lock["images"].items():
        actual = build_input_hash(root, name)
        if entry.get("build_input_hash") != actual:
            out[name] = (str(entry.get("build_input_hash")), actual)
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


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def write(root: Path) -> list[str]:
    """Recompute every image's build-input hash; keep registry digests, which only builds write.

    An image never built yet gets the placeholder digest `sha256:<build-input hash>` and
    `digest_source: build-inputs`, so manifests are still pinned and every environment agrees.
    """
    lock = read_lock(root)
    changed = []
    for name, entry in lock["images"].items():
        actual = build_input_hash(root, name)
        if entry.get("build_input_hash") != actual:
            changed.append(name)
            entry["build_input_hash"] = actual
            if entry.get("digest_source", "build-inputs") == "build-inputs":
                entry["digest"] = actual
                entry["digest_source"] = "build-inputs"
        entry["inputs"] = [p for p in input_files(root, name) if not p.startswith("pipelines/")] + sorted(
            {"/".join(p.split("/")[:2]) for p in input_files(root, name) if p.startswith("pipelines/")}
        )
    _atomic_write(root / LOCK, json.dumps(lock, indent=2, sort_keys=True) + "\n")
    _atomic_write(root / COMPONENT, component(lock))
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m parity.image_inputs", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--write", action="store_true", help="update the lock and the release-images component"
    )
    parser.add_argument("--repo", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    try:
        if args.write:
            changed = write(args.repo)
            print(f"updated: {', '.join(changed)}" if changed else "images.lock.json is up to date")
            return 0
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
