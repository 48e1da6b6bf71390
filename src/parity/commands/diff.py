"""`parity diff A B`: semantic diff of two rendered environments, each difference with its rule."""

from __future__ import annotations

from pathlib import Path

from parity import diffing
from parity.ephemeral import overlay
from parity.errors import FINDINGS, OK
from parity.invariants import classify
from parity.output import emit_json
from parity.policy import Policy
from parity.rendering import render_all
from parity.report import difference_dict, markdown_differences, summary_line, text_differences


def run(root: Path, policy: Policy, left: str, right: str, output_format: str) -> int:
    policy = overlay.with_known(root, policy)  # and the ephemeral environments made here
    policy.require_env(left)
    policy.require_env(right)
    rendered = render_all(root, [left, right], validate=False)
    differences = diffing.diff(rendered[left].resources, rendered[right].resources)
    policy = policy.for_pair(left, right)
    violations, allowed = classify(f"{left}->{right}", differences, policy)
    if output_format == "json":
        emit_json(
            {
                "left": left,
                "right": right,
                "violations": len(violations),
                "allowed": allowed,
                "differences": [difference_dict(d, policy) for d in differences],
            }
        )
    elif output_format == "markdown":
        markdown_differences(left, right, differences, policy)
    else:
        text_differences(differences, policy)
        print(f"{left} -> {right}: {summary_line(allowed, len(violations))}")
    return FINDINGS if violations else OK
