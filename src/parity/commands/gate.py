"""`parity gate dags [--env ENV]`: pre-promotion gates; each writes JSON evidence a release records.

The DAG gate loads every DAG with the airflow image's own venv (a subprocess), with the values of
the environment it is about to reach, and applies parity.gate_dags' rules plus ruff's AIR rules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from parity import gate_dags
from parity.errors import FINDINGS, OK, ParityError
from parity.gate_dags import GateFinding
from parity.invariants import values_of
from parity.kustomize import devenv
from parity.output import emit_json
from parity.policy import Policy
from parity.rendering import render

DAGS = Path("pipelines/dags")
PROBES = Path(__file__).resolve().parent.parent / "probes"
EVIDENCE = Path(".parity/evidence")


def _write_evidence(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def workload_env(values: dict[str, str], **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR", "JAVA_HOME"}}
    return {**keep, **values, "FINSIGHT_SECRETS_DIR": "/nonexistent", "PYTHONDONTWRITEBYTECODE": "1", **extra}


def probe_dags(root: Path, values: dict[str, str]) -> dict[str, Any]:
    python = devenv(root) / "venvs" / "airflow" / "bin" / "python"
    with tempfile.TemporaryDirectory(prefix="parity-airflow-") as home:
        env = workload_env(
            values,
            AIRFLOW_HOME=home,
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__UNIT_TEST_MODE="True",
            PYTHONPATH=f"{root}/pipelines/common:{root / DAGS}",
        )
        done = subprocess.run(
            [python, PROBES / "dag_probe.py", root / DAGS],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ParityError(
            "gate dags", f"the DAG probe failed in the airflow venv: {tail}", "Run with -v; check devenv"
        )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def ruff_air(root: Path) -> list[GateFinding]:
    ruff = Path(sys.executable).parent / "ruff"
    done = subprocess.run(
        [ruff, "check", "--select", "AIR", "--output-format", "json", "--no-cache", DAGS],
        cwd=root,
        capture_output=True,
        text=True,
    )
    return [
        GateFinding(
            "dags",
            f"{Path(item['filename']).relative_to(root)}:{item['location']['row']}",
            f"ruff-{item['code']}",
            item["message"],
        )
        for item in json.loads(done.stdout or "[]")
    ]


def dags_gate(root: Path, policy: Policy, env: str) -> tuple[list[GateFinding], dict[str, Any]]:
    values = values_of(render(root, env, validate=False).resources)
    probe = probe_dags(root, values)
    rules = policy.dag_gate
    findings = gate_dags.probe_findings(probe, rules.budget_seconds, set(rules.pools), set(rules.connections))
    for path in sorted((root / DAGS).glob("*.py")):
        findings += gate_dags.source_findings(path.relative_to(root).as_posix(), path.read_text())
    findings += ruff_air(root)
    slowest = max(probe["parse_seconds"].items(), key=lambda item: item[1], default=("", 0.0))
    summary = {
        "dags": len(probe["dags"]),
        "files": len(probe["parse_seconds"]),
        "import_errors": len(probe["import_errors"]),
        "parse_seconds_total": probe["total_seconds"],
        "slowest_file": {"file": slowest[0], "seconds": slowest[1]},
        "budget_seconds": rules.budget_seconds,
    }
    return findings, summary


def run(
    root: Path, policy: Policy, gate: str, env: str | None, evidence: Path | None, output_format: str
) -> int:
    target = env or policy.path[0]
    policy.require_env(target)
    started = time.monotonic()
    findings, summary = dags_gate(root, policy, target)
    document = {
        "gate": gate,
        "env": target,
        "ok": not findings,
        "seconds": round(time.monotonic() - started, 2),
        "summary": summary,
        "findings": [{"subject": f.subject, "rule": f.rule, "message": f.message} for f in findings],
    }
    _write_evidence(evidence or root / EVIDENCE / f"gate-{gate}-{target}.json", document)
    if output_format == "json":
        emit_json(document)
    else:
        for finding in findings:
            print(f"FAIL {finding}")
        print(
            f"gate {gate} ({target}): {'passed' if not findings else f'{len(findings)} failure(s)'}; "
            + ", ".join(f"{k} {v}" for k, v in summary.items() if not isinstance(v, dict))
            + f"; slowest {summary['slowest_file']['file']} {summary['slowest_file']['seconds']:.2f}s"
        )
    return FINDINGS if findings else OK
