"""`parity report --html FILE [--markdown FILE]`: the environment matrix, gate results, release
timelines and pending retro-approvals as one self-contained page (and a PR comment's digest)."""

from __future__ import annotations

from pathlib import Path

from parity import overview, overview_page
from parity.errors import FINDINGS, OK, BadInput
from parity.output import emit_json, write_atomic
from parity.policy import Policy


def run(root: Path, policy: Policy, page: Path | None, digest: Path | None, output_format: str) -> int:
    if page is None and digest is None:
        raise BadInput("parity report", "has nowhere to write", "Pass --html FILE, --markdown FILE or both")
    found = overview.collect(root, policy)
    written = []
    for target, text in ((page, overview_page.html), (digest, overview_page.markdown)):
        if target is not None:
            write_atomic(target, text(found))
            written.append(str(target))
    if output_format == "json":
        emit_json(
            {
                "written": written,
                "violations": found.violations,
                "differences": len(found.rows),
                "gates": len(found.gates),
                "pending": len(found.pending),
                "ledger_ok": found.ledger_ok,
            }
        )
    else:
        print(
            f"wrote {', '.join(written)}: {found.violations} violation(s), {len(found.rows)} difference(s) "
            f"on the path, {len(found.gates)} gate result(s), {len(found.pending)} pending retro-approval(s)"
        )
    return FINDINGS if found.violations or not found.ledger_ok else OK
