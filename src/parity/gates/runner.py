"""Run the gates: one, or all of them in turn (a failing or crashing gate never stops the others),
with progress on stderr, and write one JSON evidence document a release records.

A gate that cannot finish is a failed gate: its error becomes a `gate-error` finding, its logs are
kept under `<evidence dir>/logs/<gate>-<env>-<time>/` and the finding names that directory.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from parity.errors import BAD_INPUT, FINDINGS, INTERNAL, OK, BadInput, ParityError
from parity.findings import Finding
from parity.gates import dags, quality, schema
from parity.gates.workloads import LogKeeper
from parity.invariants import values_of
from parity.output import write_atomic
from parity.policy import Policy
from parity.rendering import render

EVIDENCE = Path(".parity/evidence")
GATES = ("dags", "schema", "quality")


@dataclass
class Outcome:
    gate: str
    env: str
    findings: list[Finding] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    exit_code: int = OK
    errors: list[str] = field(default_factory=list)  # gates that could not run, one line each
    kept: list[str] = field(default_factory=list)  # where failed gates' logs were kept

    def document(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "env": self.env,
            "ok": not self.findings,
            "seconds": round(self.seconds, 2),
            "summary": self.summary,
            "findings": [f.gate_dict() for f in self.findings],
        }


def _one(
    root: Path, policy: Policy, name: str, values: dict[str, str], against: str, logs: LogKeeper
) -> tuple[list[Finding], dict[str, Any]]:
    if name == "dags":
        return dags.gate(root, policy.dag_gate, values, logs)
    if name == "schema":
        return schema.gate(root, values, against, logs)
    return quality.gate(root, values, logs)


def _guarded(
    name: str, logs: LogKeeper, work: Callable[[], tuple[list[Finding], dict[str, Any]]]
) -> tuple[list[Finding], dict[str, Any], int]:
    """The gate's findings, or one `gate-error` finding (naming the kept logs) and the exit code
    its error would have on its own: 2 for bad input, 70 for a defect in parity, 1 otherwise."""
    try:
        found, summary = work()
        return found, summary, FINDINGS if found else OK
    except ParityError as exc:
        code = BAD_INPUT if isinstance(exc, BadInput) else FINDINGS
        message = str(exc).splitlines()[0]  # a log tail, if any, is in the kept logs
    except Exception as exc:  # a defect must not hide the other gates' verdicts
        logs.directory.mkdir(parents=True, exist_ok=True)
        (logs.directory / "traceback.txt").write_text(traceback.format_exc())
        logs.kept.append(logs.directory / "traceback.txt")
        code, message = INTERNAL, f"internal error: {type(exc).__name__}: {exc}"
    if logs.kept:
        message += f" (logs kept in {logs.directory})"
    return [Finding(name, "gate-error", message, scope=name)], {"error": message}, code


def run(root: Path, policy: Policy, gate: str, env: str, against: str, evidence: Path) -> Outcome:
    """Run `gate` (or "all") for `env` and write the evidence document to `evidence`."""
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    outcome = Outcome(gate, env)
    names = GATES if gate == "all" else (gate,)
    values: dict[str, str] | None = None
    for index, name in enumerate(names, 1):
        begun = time.monotonic()
        logs = LogKeeper(evidence.parent / "logs" / f"{name}-{env}-{stamp}")
        if gate == "all":
            print(f"[{index}/{len(names)}] gate {name} ...", file=sys.stderr, flush=True)

        def work(name: str = name, logs: LogKeeper = logs) -> tuple[list[Finding], dict[str, Any]]:
            nonlocal values
            if values is None:
                values = values_of(render(root, env, validate=False).resources)
            return _one(root, policy, name, values, against, logs)

        found, summary, code = _guarded(name, logs, work)
        if "error" in summary:
            outcome.errors.append(f"gate {name}: {summary['error']}")
        elif logs.kept:  # failed on its findings: the run's logs explain them
            summary["logs"] = str(logs.directory)
            outcome.kept.append(str(logs.directory))
        summary["seconds"] = round(time.monotonic() - begun, 2)
        outcome.findings += found
        outcome.exit_code = max(outcome.exit_code, code)
        if gate == "all":
            outcome.summary[name] = summary
            verdict = "passed" if not found else f"{len(found)} failure(s)"
            print(
                f"[{index}/{len(names)}] gate {name}: {verdict} ({summary['seconds']:.1f}s)",
                file=sys.stderr,
                flush=True,
            )
        else:
            outcome.summary = summary
    outcome.seconds = time.monotonic() - started
    write_atomic(evidence, json.dumps(outcome.document(), indent=2, sort_keys=True) + "\n")
    return outcome
