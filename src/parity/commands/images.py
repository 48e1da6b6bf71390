"""`parity images build|verify|run`: the workload images, reproducible from locked inputs only."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from parity import image_inputs
from parity.errors import FINDINGS, OK
from parity.invariants import values_of
from parity.oci import build as builder
from parity.oci import definition, layout
from parity.oci import run as runner
from parity.oci import verify as verifier
from parity.oci.common import Say
from parity.output import emit_json, table
from parity.rendering import render


def _say(name: str) -> Say:
    started = time.monotonic()

    def say(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {name}: {message}", file=sys.stderr, flush=True)

    return say


def build(
    root: Path,
    names: Sequence[str],
    *,
    fresh: bool,
    lock: bool,
    update_base: bool,
    out: Path | None,
    output_format: str,
) -> int:
    images = definition.select(root, names)
    locked = image_inputs.locked_images(root)
    results = builder.build_all(
        root,
        images,
        lambda image: (out or root / builder.OUT) / image.name,
        lambda image: _say(image.name),
        fresh=fresh,
        relock_base=update_base,
    )
    changed = image_inputs.record(root, results) if lock else []
    rows = []
    for built in results:
        same = locked.get(built.name, {}).get("digest") == built.digest
        status = "locked" if lock else ("= lock" if same else "differs from lock")
        size = f"{built.size / 2**20:.1f} MiB"
        rows.append([built.name, built.digest, size, f"{built.seconds:.1f}s", status])
    if output_format == "json":
        emit_json(
            {
                "images": [b.as_json() for b in results],
                "lock_changed": changed,
            }
        )
    else:
        table(["image", "digest", "size", "time", "status"], rows)
        if lock:
            news = f"new digest for {', '.join(changed)}" if changed else "no digest changed"
            print(f"{image_inputs.LOCK}: recorded ({news})")
        elif any(row[-1] != "= lock" for row in rows):
            print("the lock differs: `parity images build --lock` records these digests", file=sys.stderr)
    return OK


def verify(root: Path, names: Sequence[str], output_format: str) -> int:
    """Rebuild from scratch (no layer cache, base re-made by mmdebstrap) and compare with the lock."""
    images = definition.select(root, names)
    verdicts = verifier.verify(
        root, images, image_inputs.locked_images(root), {i.name: _say(i.name) for i in images}
    )
    problems = [v.problem for v in verdicts if v.problem]
    rows = [[v.name, v.digest, f"{v.seconds:.1f}s", v.status] for v in verdicts]
    if output_format == "json":
        emit_json(
            {
                "ok": not problems,
                "images": [dict(zip(("name", "digest", "time", "status"), r, strict=True)) for r in rows],
                "problems": problems,
            }
        )
    else:
        table(["image", "rebuilt digest", "time", "status"], rows)
        for problem in problems:
            print(f"parity images verify: {problem}", file=sys.stderr)
    return FINDINGS if problems else OK


def run(
    root: Path,
    name: str,
    command: Sequence[str],
    *,
    runtime: str,
    env_items: Sequence[str],
    values_env: str | None,
    volumes: Sequence[str],
    entrypoint: str | None,
) -> int:
    (image,) = definition.select(root, [name])
    env = values_of(render(root, values_env, validate=False).resources) if values_env else {}
    env.update(runner.parse_env(env_items))
    runner.check_volumes(volumes)
    target = root / builder.OUT / name
    locked = image_inputs.locked_images(root).get(name, {}).get("digest")
    if not target.is_dir() or layout.read_manifest(target)[0] != locked:
        builder.build(root, image, target, say=_say(name))  # cached layers: seconds when unchanged
    tool = runtime if runtime != "auto" else ("podman" if shutil.which("podman") else "runc")
    go = runner.run_podman if tool == "podman" else runner.run_runc
    return go(root, target, runner.Run(command, env, volumes, entrypoint))
