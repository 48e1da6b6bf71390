"""Benchmark the image builder: per image, a cold build (no cache: base re-made by mmdebstrap,
layers rebuilt; only hash-checked downloads reused) and a warm one (nothing changed), the image's
compressed size, and the start of a container with podman. Peer: umoci, the OCI tool the issue
named, assembling the very same three layers (uncompressed tars) into a layout, timed in the same
run, and whether two umoci assemblies give one digest.

Usage: python -m benchmarks.bench_images [NAME ...]     (needs root and devenv/bootstrap)
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from parity.oci import layout

ROOT = Path(__file__).resolve().parent.parent
PARITY = str(ROOT / ".devenv/bin/parity")
CREATED = "2026-01-01T00:00:00Z"


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {done.returncode}: {done.stderr.strip()[-500:]}")
    return time.perf_counter() - started, done


def build(name: str, out: Path, *extra: str) -> tuple[float, dict[str, object]]:
    seconds, done = timed([PARITY, "images", "build", name, "--out", str(out), "--format", "json", *extra])
    image: dict[str, object] = json.loads(done.stdout)["images"][0]
    return seconds, image


def umoci_assemble(tars: list[Path], work: Path) -> tuple[float, str]:
    shutil.rmtree(work, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(["umoci", "init", "--layout", str(work)], check=True)
    subprocess.run(["umoci", "new", "--image", f"{work}:x"], check=True)
    for tar in tars:
        subprocess.run(
            ["umoci", "raw", "add-layer", "--image", f"{work}:x", "--history.created", CREATED, str(tar)],
            check=True,
        )
    subprocess.run(
        ["umoci", "config", "--image", f"{work}:x", "--created", CREATED, "--history.created", CREATED],
        check=True,
    )
    seconds = time.perf_counter() - started
    index = json.loads((work / "index.json").read_text())
    return seconds, str(index["manifests"][0]["digest"])


def parity_assemble(tars: list[Path], work: Path) -> float:
    started = time.perf_counter()
    work.mkdir(parents=True, exist_ok=True)
    layers = []
    for i, tar in enumerate(tars):
        blob = layout.compress_tar(tar, work / f"layer{i}.tar.gz")
        layers.append(layout.Layer(blob, work / f"layer{i}.tar.gz", f"layer {i}"))
    layout.write_layout(work / "layout", "x", {}, layers, CREATED)
    return time.perf_counter() - started


def main(names: list[str]) -> int:
    names = names or ["airflow", "dbt", "spark", "streaming"]
    print(
        f"{'image':<10} {'cold':>8} {'warm':>7} {'size':>11}  {'podman start':>12}  "
        "digest, cold = warm = lock"
    )
    lock = json.loads((ROOT / "lock/images.lock.json").read_text())["images"]
    with tempfile.TemporaryDirectory(prefix="parity-bench-images-", dir=ROOT / ".devenv") as tmp:
        work = Path(tmp)
        peer_rows = []
        for name in names:
            cold, image = build(name, work / "cold", "--no-cache")
            warm, again = build(name, work / "warm")
            start, _ = timed([PARITY, "images", "run", name, "--entrypoint", "/bin/true"])
            start, _ = timed([PARITY, "images", "run", name, "--entrypoint", "/bin/true"])  # loaded now
            same = "yes" if image["digest"] == again["digest"] == lock[name]["digest"] else "NO"
            size = int(str(image["size"])) / 2**20
            print(
                f"{name:<10} {cold:7.1f}s {warm:6.1f}s {size:8.1f} MiB  {start:11.2f}s  "
                f"{str(image['digest'])[:19]}... {same}"
            )
            built = Path(str(image["layout"]))
            _, manifest, _ = layout.read_manifest(built)
            tars = []
            for i, entry in enumerate(manifest["layers"]):
                tar = work / f"{name}-{i}.tar"
                with gzip.open(built / "blobs/sha256" / entry["digest"][7:]) as src, tar.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                tars.append(tar)
            ours = parity_assemble(tars, work / f"{name}-ours")
            theirs, digest1 = umoci_assemble(tars, work / f"{name}-umoci")
            _, digest2 = umoci_assemble(tars, work / f"{name}-umoci")
            peer_rows.append((name, ours, theirs, digest1 == digest2))
            for tar in tars:
                tar.unlink()
        print("\nassembling the same three layer tars into an OCI layout (compress + manifest):")
        print(f"{'image':<10} {'parity':>8} {'umoci':>8} {'ratio':>6}  umoci reproducible")
        for name, ours, theirs, stable in peer_rows:
            print(
                f"{name:<10} {ours:7.1f}s {theirs:7.1f}s {theirs / ours:5.2f}x  {'yes' if stable else 'NO'}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
