"""Promotion and rollback: the policy's refusals, the environment's lock, the apply path, and a
ledger entry for every step (start, done or failed, the automatic rollback).
"""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from parity import signing
from parity.devenv import binary
from parity.errors import BadInput, Refused
from parity.policy import Policy
from parity.promotion import infra_step, locks, rules, store
from parity.promotion.apply import ApplyFailed, Cluster
from parity.promotion.ledgers import Ledger, open_ledger

ACTOR_VARIABLE = "PARITY_ACTOR"


def now() -> datetime:
    return datetime.now(UTC)


def actor(given: str | None, root: Path) -> str:
    if given:
        return given
    if os.environ.get(ACTOR_VARIABLE):
        return os.environ[ACTOR_VARIABLE]
    done = subprocess.run(
        ["git", "config", "user.email"], cwd=root, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or getpass.getuser()


def record(
    journal: Ledger, action: str, who: str, release: str, env: str | None = None, **details: Any
) -> dict[str, Any]:
    entry: dict[str, Any] = journal.append(
        {
            "action": action,
            "actor": who,
            "time": now().isoformat(),
            "release": release,
            "env": env,
            "details": details,
        }
    )
    return entry


def people(
    root: Path, state: Path, entries: Sequence[Mapping[str, Any]], stored: store.Stored, env: str
) -> set[str]:
    """Everyone who wrote or committed a change the release brings to `env` (the commits since the
    release deployed there; the whole history if none is), and whoever created the release."""
    since = rules.deployed(entries, env)
    if since == stored.release.id:  # approving after the fact (an emergency): what it replaced
        since = rules.previous_good(entries, env, since)
    base = store.record(state, since).git_sha if since else None
    span = (
        f"{base}..{stored.release.git_sha}"
        if base and base != stored.release.git_sha
        else stored.release.git_sha
    )
    log = store.git(root, "log", "--format=%an%n%ae%n%cn%n%ce", span)
    creators = {
        str(e["actor"])
        for e in entries
        if e["action"] == "release.create" and e["release"] == stored.release.id
    }
    return {line for line in log.splitlines() if line.strip()} | creators


def cluster(root: Path, policy: Policy, env: str, stand_in: bool = False) -> Cluster:
    kubectl = str(binary(root, "kubectl"))
    if stand_in:
        taken = policy.promotion.stand_ins.get(env)
        if taken is None:
            raise BadInput(
                f"--stand-in for {env}", "parity.toml names no stand-in", f"Set promotion.stand_ins.{env}"
            )
        config = str(root / taken.kubeconfig) if taken.kubeconfig else ""
        return Cluster(kubectl, taken.context, env, taken.rendering, config)
    context = policy.promotion.contexts.get(env)
    if not context:
        raise BadInput(
            env, "names no cluster", f"Set promotion.contexts.{env} in parity.toml to its kubeconfig context"
        )
    return Cluster(kubectl, context, env)


def carries(stored: store.Stored, target: Cluster) -> str:
    """The rendering the target takes, which the release must carry (checked before the ledger
    records a start)."""
    if target.rendering not in stored.release.renderings:
        raise BadInput(
            f"release {stored.release.id}",
            f"has no {target.rendering} rendering",
            "Create the release again with this parity.toml",
        )
    return target.rendering


def deploy(
    target: Cluster, stored: store.Stored, previous: store.Stored | None, timeout: float
) -> dict[str, Any]:
    began = time.monotonic()
    rendering = carries(stored, target)
    documents = stored.documents(rendering)
    target.apply(documents)
    applied = time.monotonic()
    before = previous.documents(rendering) if previous and rendering in previous.release.renderings else []
    pruned = target.prune(documents, before)
    swept = time.monotonic()
    target.wait_healthy(timeout)
    done = time.monotonic()
    return {
        "context": target.context,
        "rendering": rendering,
        "manifest": stored.release.renderings[rendering],
        "objects": len(documents),
        "pruned": len(pruned),
        "seconds": round(done - began, 2),
        "phases": {
            "apply": round(applied - began, 2),
            "prune": round(swept - applied, 2),
            "rollout": round(done - swept, 2),
        },
    }


def _on_path(policy: Policy, env: str) -> None:
    if env not in policy.path:
        raise BadInput(env, "is not on the promotion path", f"Use one of {', '.join(policy.path)}")


def promote(
    root: Path,
    policy: Policy,
    release_id: str,
    env: str,
    who: str,
    emergency: str | None,
    stand_in: bool = False,
) -> float:
    _on_path(policy, env)
    state = store.state_dir(root)
    journal = open_ledger(root, policy)
    stored = store.load(state, release_id)
    with locks.held(state, env, who, f"promote {release_id}"):
        entries = journal.entries()
        rules.check_order(policy, entries, release_id, env, now())
        if emergency is not None:
            record(journal, "emergency", who, release_id, env, reason=emergency, obligation="retro-approval")
        else:
            valid = rules.approvals(entries, release_id, env, now())
            rules.check_approved(policy, env, release_id, valid, people(root, state, entries, stored, env))
            approvals_used = sorted(a.actor for a in valid)
        target = cluster(root, policy, env, stand_in)
        carries(stored, target)
        signing.check(root, stored.release.images, env)  # refuses an unsigned or wrongly signed digest
        current = rules.deployed(entries, env)
        previous = store.load(state, current) if current else None
        record(
            journal, "promote.start", who, release_id, env, previous=current, emergency=emergency is not None
        )
        try:
            infra = infra_step.apply(root, policy, stored.release.git_sha, env, stand_in)
        except ApplyFailed as exc:  # nothing of the release's workloads was applied: nothing to roll back
            record(journal, "promote.failed", who, release_id, env, error=str(exc), phase="infra")
            raise
        try:
            facts = deploy(target, stored, previous, policy.promotion.rollout_timeout)
        except ApplyFailed as exc:
            record(journal, "promote.failed", who, release_id, env, error=str(exc))
            if previous is not None:
                _roll_back_after(
                    journal, target, previous, stored, env, who, policy.promotion.rollout_timeout
                )
            raise
        extra: dict[str, Any] = {"approvals": approvals_used} if emergency is None else {"emergency": True}
        extra.update({"infra": infra} if infra else {})
        record(journal, "promote.done", who, release_id, env, ok=True, **extra, **facts)
        return float(facts["seconds"])


def _roll_back_after(
    journal: Ledger,
    target: Cluster,
    previous: store.Stored,
    failed: store.Stored,
    env: str,
    who: str,
    timeout: float,
) -> None:
    """After a failed promotion: the last good release again, by the same path, and recorded
    either way (a failed rollback leaves the environment for a person to look at)."""
    back_to = previous.release.id
    try:
        facts = deploy(target, previous, failed, timeout)
    except ApplyFailed as exc:
        record(journal, "rollback", who, back_to, env, to=back_to, automatic=True, ok=False, error=str(exc))
        print(f"parity: {env}: the automatic rollback to {back_to} failed too: {exc}", file=sys.stderr)
        return
    record(journal, "rollback", who, back_to, env, to=back_to, automatic=True, ok=True, **facts)
    print(f"parity: rolled {env} back to {back_to} automatically", file=sys.stderr)


def rollback(
    root: Path, policy: Policy, env: str, to: str | None, who: str, stand_in: bool = False
) -> tuple[str, float]:
    _on_path(policy, env)
    state = store.state_dir(root)
    journal = open_ledger(root, policy)
    with locks.held(state, env, who, "rollback"):
        entries = journal.entries()
        current = rules.deployed(entries, env)
        target_id = to or rules.previous_good(entries, env, current)
        if target_id is None:
            raise Refused(
                f"rollback {env}", "there is no earlier good release there", "Promote a release instead"
            )
        if target_id not in rules.history(entries, env):
            raise Refused(
                f"rollback {env} to {target_id}",
                f"that release was never healthy in {env}",
                "Pick one from parity release list",
            )
        began = time.monotonic()
        stored = store.load(state, target_id)
        previous = store.load(state, current) if current else None
        try:
            facts = deploy(
                cluster(root, policy, env, stand_in), stored, previous, policy.promotion.rollout_timeout
            )
        except ApplyFailed as exc:
            record(
                journal,
                "rollback",
                who,
                target_id,
                env,
                to=target_id,
                ok=False,
                error=str(exc),
                previous=current,
            )
            raise
        record(journal, "rollback", who, target_id, env, to=target_id, ok=True, previous=current, **facts)
        return target_id, time.monotonic() - began


def approve(root: Path, policy: Policy, release_id: str, env: str, who: str) -> datetime:
    state = store.state_dir(root)
    journal = open_ledger(root, policy)
    stored = store.load(state, release_id)
    expires = rules.expiry(policy, env, now())

    def checked(entries: list[dict[str, Any]]) -> dict[str, Any]:
        # Under the ledger's lock: two approvals racing from one person cannot both pass.
        valid = rules.approvals(entries, release_id, env, now())
        rules.check_approver(policy, env, who, people(root, state, entries, stored, env), valid)
        details = {"expires": expires.isoformat(), "content": stored.release.digest}
        return {
            "action": "approve",
            "actor": who,
            "time": now().isoformat(),
            "release": release_id,
            "env": env,
            "details": details,
        }

    journal.append_if(checked)
    return expires
