"""`parity lint [PATH ...]`: environment branches, environment literals, secrets and value wiring
across the repository (and, with no PATH, the rendered output of every environment)."""

from __future__ import annotations

import sys
from pathlib import Path

from parity.errors import FINDINGS, OK, BadInput
from parity.lint.repository import lint_rendered, lint_sources
from parity.output import emit_json
from parity.policy import Policy
from parity.rendering import render_all


def _relative(root: Path, paths: list[Path]) -> list[Path]:
    out = []
    for path in paths:
        absolute = path.resolve()
        if not absolute.exists():
            raise BadInput(str(path), "does not exist", "Pass files or directories inside the repository")
        try:
            out.append(absolute.relative_to(root))
        except ValueError:
            raise BadInput(str(path), "is outside the repository", f"Pass paths under {root}") from None
    return out


def run(root: Path, policy: Policy, paths: list[Path], output_format: str) -> int:
    relative = _relative(root, paths)
    findings, used = lint_sources(root, policy, relative)
    if not relative:
        rendered = render_all(root, list(policy.environments), validate=False)
        findings += lint_rendered({env: r.text for env, r in rendered.items()})
    if output_format == "json":
        emit_json(
            {
                "ok": not findings,
                "findings": [f.lint_dict() for f in findings],
                "suppressions": [
                    {"path": s.path, "line": s.line, "rule": s.rule, "reason": s.reason} for s in used
                ],
            }
        )
    else:
        for finding in findings:
            print(finding)
        for s in used:
            print(f"suppressed {s.path}:{s.line}: {s.rule} -- {s.reason}", file=sys.stderr)
        print(f"parity lint: {len(findings)} finding(s), {len(used)} suppression(s)", file=sys.stderr)
    return FINDINGS if findings else OK
