"""Benchmark `parity check`, `render` and `diff` on the real platform and a scaled one, against
dyff (pinned in lock/tools.lock.toml) diffing the very same rendered files.

Usage: python -m benchmarks.bench_check [--factor 5] [--repeat 5]
Prints one table; ratios > 1 mean parity is faster than dyff.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.scale import scale
from parity import kustomize, rendering
from parity.devenv import binary
from parity.diffing import diff
from parity.invariants import classify
from parity.lint.repository import NOT_SCANNED, tracked_files
from parity.manifest import normalise, parse_documents
from parity.policy import parse

ROOT = Path(__file__).resolve().parent.parent
ENVS = ["dev", "staging", "prod", "ephemeral"]


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def parity_diff(left: Path, right: Path, policy_text: str) -> int:
    """What `parity diff` does after rendering: parse, normalise, diff, classify."""
    a = normalise(parse_documents(left.read_text(), "left"), "left")
    b = normalise(parse_documents(right.read_text(), "right"), "right")
    violations, allowed = classify("left->right", diff(a, b), parse(policy_text))
    return len(violations) + sum(allowed.values())


def peak_rss_mb(command: list[str]) -> tuple[float, float]:
    done = subprocess.run(["/usr/bin/time", "-f", "%e %M", *command], capture_output=True, text=True)
    seconds, kilobytes = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kilobytes) / 1024


def measure(repo: Path, label: str, repeat: int, work: Path) -> list[str]:
    rows = []
    floor = 0.0  # the slowest single `kustomize build`: no check can be faster than rendering that
    for env in ENVS:
        build = median_seconds(lambda env=env: kustomize.build(repo, env), repeat)
        floor = max(floor, build)
        full = median_seconds(lambda env=env: rendering.render(repo, env), repeat)
        resources = len(rendering.render(repo, env, validate=False).resources)
        rows.append(
            f"{label:>4} render {env:<9} {resources:>5} resources  kustomize {build:6.3f}s  "
            f"+ normalise + kubeconform {full:6.3f}s"
        )
    files = {}
    for env in ("staging", "prod"):
        files[env] = work / f"{label}-{env}.yaml"
        files[env].write_text(kustomize.build(repo, env)[0])
    policy_text = (repo / "parity.toml").read_text()
    ours = median_seconds(lambda: parity_diff(files["staging"], files["prod"], policy_text), repeat)
    dyff_bin = str(binary(repo, "dyff"))
    theirs = median_seconds(
        lambda: subprocess.run(
            [
                dyff_bin,
                "between",
                "--omit-header",
                "--detect-kubernetes",
                str(files["staging"]),
                str(files["prod"]),
            ],
            capture_output=True,
            check=False,
        ),
        repeat,
    )
    rows.append(
        f"{label:>4} diff staging->prod: parity {ours:6.3f}s  dyff {theirs:6.3f}s  "
        f"ratio dyff/parity {theirs / ours:5.2f}x"
    )
    parity_bin = str(ROOT / ".devenv/bin/parity")
    _, rss = peak_rss_mb([parity_bin, "check", "--repo", str(repo)])

    def cold_check() -> None:  # no lint cache at all: every file scanned
        with tempfile.TemporaryDirectory(prefix="parity-cache-") as cache:
            env = {**os.environ, "PARITY_CACHE_DIR": cache}
            subprocess.run([parity_bin, "check", "--repo", str(repo)], capture_output=True, env=env)

    check = median_seconds(cold_check, repeat)
    touched = repo / "pipelines/dags/include/dag_factory.py"
    original = touched.read_text()

    def one_file_changed() -> None:  # the cache is warm, then one file changes
        touched.write_text(original + f"\n# touched {time.perf_counter_ns()}\n")
        try:
            subprocess.run([parity_bin, "check", "--repo", str(repo)], capture_output=True)
        finally:
            touched.write_text(original)

    subprocess.run([parity_bin, "check", "--repo", str(repo)], capture_output=True)  # warm the cache
    changed = median_seconds(one_file_changed, repeat)
    rows.append(
        f"{label:>4} parity check (4 envs, 3 pairs, lint): cold cache {check:6.3f}s"
        f" = {check / floor:4.1f}x floor, "
        f"after a one-file change {changed:6.3f}s = {changed / floor:4.1f}x floor "
        f"(floor: slowest kustomize build {floor:5.3f}s)  peak RSS {rss:6.1f} MB"
    )
    lint = median_seconds(
        lambda: subprocess.run(
            [str(ROOT / ".devenv/bin/parity"), "lint", "--repo", str(repo)], capture_output=True
        ),
        repeat,
    )
    # The peer scans exactly the files parity lint scans (tracked, lock files excluded).
    scanned = [
        n for n in tracked_files(repo, []) if not n.endswith(NOT_SCANNED) and not n.startswith("tests/")
    ]
    detector = str(ROOT / ".devenv/venvs/tool/bin/detect-secrets")
    scan = median_seconds(
        lambda: subprocess.run([detector, "scan", *scanned], cwd=repo, capture_output=True), repeat
    )
    rows.append(
        f"{label:>4} parity lint (all rules): {lint:6.3f}s  detect-secrets scan alone {scan:6.3f}s "
        f"on the same {len(scanned)} files"
    )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("PARITY_DEVENV", str(ROOT / ".devenv"))  # the scaled copy uses this toolchain
    with tempfile.TemporaryDirectory(prefix="parity-bench-") as tmp:
        work = Path(tmp)
        rows = measure(ROOT, "1x", args.repeat, work)
        scaled = work / f"scaled-{args.factor}x"
        scale(args.factor, scaled)
        rows += measure(scaled, f"{args.factor}x", args.repeat, work)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
