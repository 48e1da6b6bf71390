"""Printing findings and differences: coloured text for people, markdown for PR comments, JSON for
machines. The JSON shapes are documented in README.md ("Machine-readable output")."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from parity.diffing import Difference
from parity.findings import Finding
from parity.invariants import show
from parity.policy import Policy

RED, GREEN, DIM, RESET = "\033[31m", "\033[32m", "\033[2m", "\033[0m"


def colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def finding_line(f: Finding, paint: bool) -> str:
    where = f"{f.subject} {f.path or (f'line {f.line}' if f.line else '')}".strip()
    head = f"{RED}VIOLATION{RESET}" if paint else "VIOLATION"
    return f"{head} [{f.rule}] {f.scope}: {where}: {f.message}"


def difference_dict(d: Difference, policy: Policy) -> dict[str, Any]:
    rule = policy.rule_for(d)
    return {
        "apiVersion": d.identity.api_version,
        "resource": str(d.identity),
        "path": d.path,
        "left": d.left,
        "right": d.right,
        "allowed": rule is not None,
        "rule": rule.id if rule else None,
    }


def text_differences(differences: Sequence[Difference], policy: Policy, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    paint = colour(stream)
    for d in differences:
        rule = policy.rule_for(d)
        path = d.path or "(whole resource)"
        values = f"{show(d.left)} -> {show(d.right)}"
        if rule:
            line = f"  allowed [{rule.id}] {d.identity} {path}: {values}"
            print(f"{DIM}{line}{RESET}" if paint else line, file=stream)
        else:
            head = f"{RED}VIOLATION{RESET}" if paint else "VIOLATION"
            print(f"{head} {d.identity} {path}: {values}", file=stream)


def markdown_differences(
    left: str,
    right: str,
    differences: Sequence[Difference],
    policy: Policy,
    stream: TextIO | None = None,
) -> None:
    stream = stream or sys.stdout
    violations = [d for d in differences if policy.rule_for(d) is None]
    print(f"### parity diff `{left}` → `{right}`\n", file=stream)
    verdict = "no violations" if not violations else f"**{len(violations)} violation(s)**"
    print(f"{verdict}; {len(differences) - len(violations)} allowed difference(s).\n", file=stream)
    if differences:
        print(f"| | resource | path | {left} | {right} | rule |\n|---|---|---|---|---|---|", file=stream)
    for d in differences:
        rule = policy.rule_for(d)
        mark = "✅" if rule else "❌"
        cells = [
            mark,
            f"`{d.identity}`",
            f"`{d.path or '(whole resource)'}`",
            f"`{show(d.left)}`",
            f"`{show(d.right)}`",
            rule.id if rule else "not allowed",
        ]
        print("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |", file=stream)


def summary_line(allowed: Mapping[str, int], violations: int) -> str:
    total = sum(allowed.values())
    by_rule = ", ".join(f"{rule} {count}" for rule, count in sorted(allowed.items()))
    head = "parity holds" if not violations else f"{violations} violation(s)"
    return f"{head}; {total} allowed difference(s)" + (f" ({by_rule})" if by_rule else "")
