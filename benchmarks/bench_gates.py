"""Benchmark `parity gate all` on the full platform (120 DAGs, 40 dbt models with 70 tests, 15 Spark
jobs, 3 event subjects) on the synthetic sample. Target: under 5 minutes on this machine (the
staging-validation budget is 15).

Usage: python -m benchmarks.bench_gates
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="parity-bench-gates-") as tmp:
        evidence = Path(tmp) / "all.json"
        started = time.perf_counter()
        done = subprocess.run(
            [str(ROOT / ".devenv/bin/parity"), "gate", "all", "--evidence", str(evidence)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        summary = json.loads(evidence.read_text())["summary"]
    print(
        f"parity gate all: {wall:6.1f}s wall (exit {done.returncode}); target < 300s ({wall / 300:.0%} of it)"
    )
    for gate in ("dags", "schema", "quality"):
        print(f"  {gate:<8} {summary[gate].get('seconds', 0):6.1f}s")
    quality = summary["quality"]
    print(
        f"  quality ran {quality['dbt_models']} dbt models, {quality['dbt_tests']} tests, "
        f"{quality['spark_jobs']} Spark jobs; dags parsed {summary['dags']['dags']} DAGs"
    )
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
