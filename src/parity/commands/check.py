"""`parity check [ENV ...]`: every adjacent pair on the promotion path (and each mirror against its
original), the per-environment invariants and the repository locks; one report, one exit code."""

from __future__ import annotations

import sys
from pathlib import Path

from parity.checking import check
from parity.errors import FINDINGS, OK
from parity.output import emit_json
from parity.policy import Policy
from parity.report import colour, finding_line, summary_line


def run(root: Path, policy: Policy, envs: list[str], output_format: str) -> int:
    report = check(root, policy, envs)
    if output_format == "json":
        emit_json(
            {
                "ok": not report.findings,
                "environments": list(report.environments),
                "pairs": report.pairs,
                "resources": report.resources,
                "allowed": report.allowed,
                "violations": [f.check_dict() for f in report.findings],
                "seconds": report.seconds,
            }
        )
    else:
        paint = colour(sys.stdout)
        for f in report.findings:
            print(finding_line(f, paint))
        for pair, result in report.pairs.items():
            print(f"{pair}: {summary_line(result['allowed'], result['violations'])}")
        sizes = ", ".join(f"{env} {count}" for env, count in report.resources.items())
        print(
            f"parity check of {', '.join(report.environments)} ({sizes} resources, {report.seconds}s): "
            f"{summary_line(report.allowed, len(report.findings))}"
        )
    return FINDINGS if report.findings else OK
