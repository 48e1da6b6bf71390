"""Suppressions: `parity: allow <rule> -- <reason>` in a comment on a finding's line, or alone on
the line above. A suppression without a rule and a reason is itself a finding. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from parity.findings import Finding

# Only in a comment (#, --, {#, //), so prose and messages that mention the syntax are not one.
SUPPRESSION = re.compile(r"(#|--|\{#|//)\s*parity:\s*allow\b(?P<rest>.*)$")
SUPPRESSION_BODY = re.compile(r"^\s*(?P<rule>[a-z][a-z-]+)\s+--\s+(?P<reason>\S.*?)\s*(#\}|-->|\*/)?\s*$")


@dataclass(frozen=True)
class Suppression:
    path: str
    line: int  # the line the suppression covers
    rule: str
    reason: str


def suppressions(path: str, text: str) -> tuple[list[Suppression], list[Finding]]:
    found, bad = [], []
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        match = SUPPRESSION.search(line)
        if not match:
            continue
        body = SUPPRESSION_BODY.match(match.group("rest"))
        if not body:
            bad.append(
                Finding(
                    path,
                    "bad-suppression",
                    "`parity: allow` needs a rule and a reason: parity: allow <rule> -- <reason>",
                    scope="repo",
                    line=number,
                )
            )
            continue
        before = line[: match.start()].strip()
        covered = number if before else number + 1  # a comment alone covers the next line
        found.append(Suppression(path, covered, body.group("rule"), body.group("reason")))
    return found, bad


def apply(
    findings: Iterable[Finding], allowed: Iterable[Suppression]
) -> tuple[list[Finding], list[Suppression]]:
    index = {(s.path, s.line, s.rule): s for s in allowed}
    kept, used = [], []
    for finding in findings:
        suppression = index.get((finding.subject, finding.line, finding.rule))
        if suppression is None:
            kept.append(finding)
        elif suppression not in used:
            used.append(suppression)
    return kept, used
