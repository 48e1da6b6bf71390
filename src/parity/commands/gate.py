"""`parity gate dags|schema|quality|all [--env ENV] [--evidence FILE] [--release ID]`: pre-promotion
gates; each run writes JSON evidence a release records, and with --release a ledger entry that
promotion to the next environment requires (the work lives in parity.gates)."""

from __future__ import annotations

import sys
from pathlib import Path

from parity.gates import runner
from parity.output import emit_json
from parity.policy import Policy
from parity.promotion import ledgered


def run(
    root: Path,
    policy: Policy,
    gate: str,
    env: str | None,
    evidence: Path | None,
    output_format: str,
    against: str = "HEAD",
    release: str | None = None,
) -> int:
    target = env or policy.path[0]
    policy.require_env(target)
    if release is not None:
        ledgered.check_release(root, release)
    written = evidence or root / runner.EVIDENCE / f"gate-{gate}-{target}.json"
    outcome = runner.run(root, policy, gate, target, against, written)
    document = outcome.document()
    if release is not None and outcome.exit_code in (0, 1):  # it ran: a pass or findings
        ledgered.record_gate(
            root, policy, release, gate, target, written, runner.GATES if gate == "all" else (gate,)
        )
    for error in outcome.errors:  # a gate that could not run says why, one line on stderr
        print(f"parity: {error}", file=sys.stderr)
    if output_format == "json":
        emit_json(document)
        return outcome.exit_code
    for finding in outcome.findings:
        print(f"FAIL {finding}")
    verdict = "passed" if not outcome.findings else f"{len(outcome.findings)} failure(s)"
    summary = outcome.summary
    if gate == "all":
        parts = ", ".join(f"{name} {summary[name].get('seconds', 0)}s" for name in runner.GATES)
        print(f"gate all ({target}): {verdict} in {document['seconds']}s ({parts})")
    else:
        details = ", ".join(f"{k} {v}" for k, v in summary.items() if not isinstance(v, dict | list))
        print(f"gate {gate} ({target}): {verdict}; {details}")
    if "slowest_file" in summary:
        print(f"slowest file {summary['slowest_file']['file']}: {summary['slowest_file']['seconds']:.2f}s")
    for kept in outcome.kept:
        print(f"logs kept in {kept}")
    for notice in summary.get("deprecation_notices", []):
        print(f"NOTICE {notice}")
    return outcome.exit_code
