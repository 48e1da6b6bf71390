"""Gate results as ledger entries: `parity gate ... --release ID` records what it found there."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from parity.errors import BadInput
from parity.policy import Policy
from parity.promotion import flow, store
from parity.promotion.ledgers import open_ledger
from parity.release import digest, require_id


def check_release(root: Path, release_id: str) -> None:
    """The gates run this checkout: it must be the release's commit."""
    stored = store.load(store.state_dir(root), require_id(release_id))
    head = store.git(root, "rev-parse", "HEAD").strip()
    if head != stored.release.git_sha:
        raise BadInput(
            f"--release {release_id}",
            f"is commit {stored.release.git_sha[:12]}, but this checkout is at {head[:12]}",
            f"Check out {stored.release.git_sha[:12]} to gate that release",
        )


def record_gate(
    root: Path, policy: Policy, release_id: str, gate: str, env: str, evidence: Path, gates: Sequence[str]
) -> None:
    text = evidence.read_text()
    ok = bool(json.loads(text).get("ok"))
    flow.record(
        open_ledger(root, policy),
        f"gate.{gate}",
        flow.actor(None, root),
        release_id,
        env,
        ok=ok,
        evidence=digest(text.encode()),
        gates=list(gates),
    )
