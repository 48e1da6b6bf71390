"""`parity up | down | status`: the local stack (see parity.local)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from parity import local
from parity.errors import FINDINGS, OK
from parity.output import emit_json, table
from parity.policy import Policy


def _say(started: float) -> local.Say:
    def say(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    return say


def up(root: Path, policy: Policy, *, build: bool, output_format: str) -> int:
    policy.require_env(local.ENV)
    started = time.monotonic()
    found = local.up(root, _say(started), build=build)
    seconds = time.monotonic() - started
    if output_format == "json":
        emit_json({"seconds": round(seconds, 1), "endpoints": found})
    else:
        print(f"parity up: the local stack is ready ({seconds:.1f}s)")
        table(["endpoint", "where"], [[k, v] for k, v in found.items()])
    return OK


def down(root: Path, *, purge: bool, output_format: str) -> int:
    started = time.monotonic()
    counts = local.down(root, _say(started), purge=purge)
    seconds = time.monotonic() - started
    left = local.leftovers(root)
    if output_format == "json":
        emit_json({"seconds": round(seconds, 1), "undone": counts, "left": left})
    else:
        undone = ", ".join(f"{k} {v}" for k, v in counts.items())
        print(f"parity down: stopped in {seconds:.1f}s ({undone})")
        for item in left:
            print(f"LEFT {item}")
    return FINDINGS if left else OK


def status(root: Path, *, output_format: str) -> int:
    found = local.status(root)
    if output_format == "json":
        emit_json(found)
    else:
        rows = [
            [c["name"], c["group"], c["health"], str(c["pid"] or ""), f"{c['rss_mib']:.0f} MiB"]
            for c in found["components"]
        ]
        table(["component", "group", "health", "pid", "rss"], rows)
        if found["workloads"]:
            print()
            table(
                ["workload", "name", "ready", "health"],
                [[w["kind"], w["name"], w["ready"], w["health"]] for w in found["workloads"]],
            )
        total = sum(c["rss_mib"] for c in found["components"])
        print(f"\nmemory (summed RSS of the stack's processes and their children): {total:.0f} MiB")
    unhealthy = [c for c in found["components"] if c["health"] != "ready"]
    return FINDINGS if unhealthy else OK
