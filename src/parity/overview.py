"""What `parity report` shows, collected: the environment matrix (every difference between the
promotion path's environments, allowed or violating, and each mirror's verdict), the gate results
(ledger entries, and this checkout's latest evidence), each environment's release timeline with
its approvals, and the emergency changes still awaiting retro-approval. Reads the repository and
the ledger; writes nothing.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from parity import diffing
from parity.gates.runner import EVIDENCE
from parity.invariants import classify, show
from parity.policy import Policy
from parity.promotion import rules
from parity.promotion.ledgers import open_ledger
from parity.rendering import render_all

TIMELINE = ("release.create", "gate.", "approve", "emergency", "promote.done", "promote.failed", "rollback")


@dataclass(frozen=True)
class Pair:
    left: str
    right: str
    allowed: Mapping[str, int]
    violations: list[str]  # one line each


@dataclass(frozen=True)
class Row:
    resource: str
    path: str
    values: Mapping[str, str]  # env -> shown value
    verdicts: Mapping[str, str]  # "left->right" -> rule id, or "" for a violation


@dataclass
class Overview:
    generated: str
    commit: str
    envs: tuple[str, ...]
    pairs: list[Pair] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    gates: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    timeline: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    ledger_ok: bool = True
    ledger_entries: int = 0

    @property
    def violations(self) -> int:
        return sum(len(p.violations) for p in self.pairs)


def _matrix(root: Path, policy: Policy, out: Overview) -> None:
    envs = list(dict.fromkeys([*policy.path, *policy.mirrors]))
    rendered = render_all(root, envs, validate=False)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for left, right in policy.pairs():
        pair_policy = policy.for_pair(left, right)
        differences = diffing.diff(rendered[left].resources, rendered[right].resources)
        violations, allowed = classify(f"{left}->{right}", differences, pair_policy)
        lines = [f"{v.subject} {v.path}: {v.message}".replace(" :", ":") for v in violations]
        out.pairs.append(Pair(left, right, allowed, lines))
        if left not in policy.path or right not in policy.path:
            continue  # mirrors: their verdict only; the matrix is the promotion path
        for d in differences:
            row = rows.setdefault((str(d.identity), d.path), {"identity": d.identity, "verdicts": {}})
            rule = pair_policy.rule_for(d)
            row["verdicts"][f"{left}->{right}"] = rule.id if rule else ""
    for (resource, path), row in sorted(
        rows.items(), key=lambda item: (all(item[1]["verdicts"].values()), item[0])
    ):
        values = {}
        for env in policy.path:
            found = rendered[env].resources.get(row["identity"])
            values[env] = "(absent)" if found is None else show(found.flat.get(path) if path else "(whole)")
        out.rows.append(Row(resource, path or "(whole resource)", values, row["verdicts"]))


def _ledger(root: Path, policy: Policy, out: Overview) -> None:
    journal = open_ledger(root, policy)
    verdict = journal.verdict()
    out.ledger_ok, out.ledger_entries = verdict.ok, verdict.entries
    entries = journal.entries()
    for e in entries:
        details = dict(e.get("details") or {})
        item = {
            "seq": e["seq"],
            "time": str(e["time"])[:19].replace("T", " "),
            "action": e["action"],
            "release": e.get("release") or "",
            "env": e.get("env") or "",
            "actor": e["actor"],
            "ok": details.get("ok"),
            "approvals": details.get("approvals") or [],
            "note": details.get("reason") or details.get("error") or ", ".join(details.get("gates") or []),
        }
        if str(e["action"]).startswith("gate."):
            out.gates.append(item)
        if any(str(e["action"]).startswith(a) for a in TIMELINE):
            for env in [item["env"]] if item["env"] else list(policy.path[:1]):
                out.timeline.setdefault(env, []).append(item)
    out.pending = [
        {
            "seq": e["seq"],
            "time": str(e["time"])[:19].replace("T", " "),
            "release": e["release"],
            "env": e["env"],
            "actor": e["actor"],
            "reason": (e.get("details") or {}).get("reason", ""),
        }
        for e in rules.pending(policy, entries)
    ]


def _evidence(root: Path, out: Overview) -> None:
    for path in sorted((root / EVIDENCE).glob("gate-*.json")):
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # a half-written or foreign file is not evidence
        if isinstance(document, dict) and "ok" in document:
            summary = document.get("summary") or {}
            failures = document.get("findings") or []
            out.evidence.append(
                {
                    "file": str(path.relative_to(root)),
                    "gate": document.get("gate", path.stem),
                    "env": document.get("env", ""),
                    "ok": bool(document["ok"]),
                    "seconds": document.get("seconds", summary.get("seconds", "")),
                    "findings": [str(f) for f in failures][:20],
                }
            )


def collect(root: Path, policy: Policy) -> Overview:
    commit = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True, text=True
    )
    out = Overview(
        datetime.now(UTC).isoformat(timespec="seconds"),
        commit.stdout.strip() or "(not a git checkout)",
        policy.path,
    )
    _matrix(root, policy, out)
    _ledger(root, policy, out)
    _evidence(root, out)
    return out
