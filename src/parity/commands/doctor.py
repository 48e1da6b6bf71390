"""`parity doctor`: the toolchain on this machine against lock/tools.lock.toml."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from parity.errors import FINDINGS, OK
from parity.output import emit_json, table
from parity.toolchain import LOCK_PATH, Toolchain
from parity.toolcheck import Context, Status, check


def inspect(root: Path, tools: list[str]) -> list[Status]:
    toolchain = Toolchain.from_toml((root / LOCK_PATH).read_text())
    ctx = Context.for_repo(root, toolchain)
    # Checks are subprocess- and hash-bound; a few threads keep the whole run to seconds.
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda tool: check(tool, ctx), toolchain.select(tools)))


def run(root: Path, tools: list[str], output_format: str) -> int:
    statuses = inspect(root, tools)
    drift = [s for s in statuses if not s.ok]
    if output_format == "json":
        emit_json(
            {
                "ok": not drift,
                "tools": [
                    {
                        "name": s.name,
                        "kind": s.kind,
                        "locked": s.locked,
                        "installed": s.installed,
                        "ok": s.ok,
                        "problem": s.problem,
                    }
                    for s in statuses
                ],
            }
        )
    else:
        table(
            ["tool", "kind", "locked", "installed", "status"],
            [[s.name, s.kind, s.locked, s.installed, "ok" if s.ok else "DRIFT"] for s in statuses],
        )
        for s in drift:
            print(f"{s.name}: {s.problem}", file=sys.stderr)
        summary = f"{len(statuses) - len(drift)}/{len(statuses)} tools match {LOCK_PATH}"
        print(summary if not drift else f"{summary}; {len(drift)} drifted", file=sys.stderr)
    return FINDINGS if drift else OK
