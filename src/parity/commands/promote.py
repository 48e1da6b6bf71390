"""`parity approve ID --env ENV --as USER`, `parity promote ID --to ENV` and `parity rollback ENV`."""

from __future__ import annotations

import sys
from pathlib import Path

from parity.errors import OK, BadInput
from parity.output import emit_json
from parity.policy import Policy
from parity.promotion import flow
from parity.release import require_id


def approve(
    root: Path, policy: Policy, release_id: str, env: str, who: str | None, output_format: str
) -> int:
    approver = flow.actor(who, root)
    expires = flow.approve(root, policy, require_id(release_id), env, approver)
    if output_format == "json":
        emit_json({"id": release_id, "env": env, "approver": approver, "expires": expires.isoformat()})
    else:
        print(f"{approver} approved {release_id} for {env} (expires {expires.isoformat(timespec='seconds')})")
    return OK


def promote(
    root: Path,
    policy: Policy,
    release_id: str,
    env: str,
    who: str | None,
    emergency: bool,
    reason: str | None,
    output_format: str,
    stand_in: bool = False,
) -> int:
    if emergency and not (reason and reason.strip()):
        raise BadInput("--emergency", "needs --reason", "Say why approvals are skipped: --reason TEXT")
    if reason and not emergency:
        raise BadInput("--reason", "only goes with --emergency", "Drop --reason, or add --emergency")
    actor = flow.actor(who, root)
    seconds = flow.promote(
        root, policy, require_id(release_id), env, actor, reason if emergency else None, stand_in
    )
    where = f"{env} (its stand-in, {policy.promotion.stand_ins[env].rendering})" if stand_in else env
    if output_format == "json":
        emit_json({"id": release_id, "env": env, "stand_in": stand_in, "seconds": round(seconds, 2)})
    else:
        print(f"promoted {release_id} to {where} in {seconds:.1f}s")
    if emergency:
        print(
            f"parity: {env}: emergency change recorded; it needs retro-approval (parity audit pending)",
            file=sys.stderr,
        )
    return OK


def rollback(
    root: Path,
    policy: Policy,
    env: str,
    to: str | None,
    who: str | None,
    output_format: str,
    stand_in: bool = False,
) -> int:
    target, seconds = flow.rollback(
        root, policy, env, require_id(to) if to else None, flow.actor(who, root), stand_in
    )
    if output_format == "json":
        emit_json({"env": env, "id": target, "seconds": round(seconds, 2)})
    else:
        print(f"rolled {env} back to {target} in {seconds:.1f}s")
    return OK
