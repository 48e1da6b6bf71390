"""`parity audit verify | export [--format json|csv] | pending`: the ledger for auditors."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from parity.errors import FINDINGS, OK
from parity.output import emit_json
from parity.policy import Policy
from parity.promotion import rules
from parity.promotion.ledgers import open_ledger

COLUMNS = ("seq", "time", "action", "actor", "release", "env", "approvals", "evidence", "details", "hash")


def verify(root: Path, policy: Policy, output_format: str) -> int:
    journal = open_ledger(root, policy)
    verdict = journal.verdict()
    if output_format == "json":
        emit_json(
            {
                "ok": verdict.ok,
                "entries": verdict.entries,
                "first_bad": verdict.bad,
                "problem": verdict.problem,
            }
        )
    elif verdict.ok:
        print(f"ledger verified: {verdict.entries} entries, hash chain and head intact ({journal.path})")
    else:
        print(f"TAMPERED {journal.path}: entry {verdict.bad} {verdict.problem}", file=sys.stderr)
    return OK if verdict.ok else FINDINGS


def _row(entry: dict[str, object]) -> dict[str, str]:
    details = dict(entry.get("details") or {})  # type: ignore[call-overload]
    approvals = details.get("approvals", [])
    evidence = {k: v for k, v in details.items() if k in ("manifest", "content", "evidence", "renderings")}
    return {
        "seq": str(entry["seq"]),
        "time": str(entry["time"]),
        "action": str(entry["action"]),
        "actor": str(entry["actor"]),
        "release": str(entry.get("release") or ""),
        "env": str(entry.get("env") or ""),
        "approvals": ";".join(approvals) if isinstance(approvals, list) else "",
        "evidence": json.dumps(evidence, sort_keys=True) if evidence else "",
        "details": json.dumps(details, sort_keys=True),
        "hash": str(entry["hash"]),
    }


def export(root: Path, policy: Policy, output_format: str) -> int:
    journal = open_ledger(root, policy)
    verdict = journal.verdict()
    if not verdict.ok:
        print(
            f"parity: {journal.path}: entry {verdict.bad} {verdict.problem}; "
            "exporting anyway, marked unverified",
            file=sys.stderr,
        )
    entries = journal.entries()
    if output_format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(_row(e) for e in entries)
    else:
        emit_json({"verified": verdict.ok, "entries": entries})
    return OK if verdict.ok else FINDINGS


def pending(root: Path, policy: Policy, output_format: str) -> int:
    open_ = rules.pending(policy, open_ledger(root, policy).entries())
    if output_format == "json":
        emit_json({"pending": open_})
        return FINDINGS if open_ else OK  # an open obligation is a finding: CI can fail on it
    for e in open_:
        print(
            f"#{e['seq']} {e['time'][:19]} emergency {e['release']} to {e['env']} by {e['actor']}: "
            f"{e['details'].get('reason', '')} "
            f"(needs retro-approval: parity approve {e['release']} --env {e['env']})"
        )
    if not open_:
        print("no pending obligations")
    return FINDINGS if open_ else OK
