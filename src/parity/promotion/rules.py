"""Pure: what the ledger says about releases and environments, and the promotion policy's refusals.

Every decision is taken from ledger entries (dicts with action, actor, time, release, env, details),
so what was allowed can be re-derived from the audit trail alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from parity.errors import Refused
from parity.policy import Policy

Entry = Mapping[str, Any]
DEPLOYED = ("promote.done", "rollback")


def when(entry: Entry) -> datetime:
    return datetime.fromisoformat(str(entry["time"]))


def history(entries: Sequence[Entry], env: str) -> list[str]:
    """The releases that reached `env` and were healthy there, oldest first (rollbacks included)."""
    return [
        str(e.get("details", {}).get("to") or e["release"])
        for e in entries
        if e["action"] in DEPLOYED and e.get("env") == env and e.get("details", {}).get("ok", True)
    ]


def deployed(entries: Sequence[Entry], env: str) -> str | None:
    found = history(entries, env)
    return found[-1] if found else None


def previous_good(entries: Sequence[Entry], env: str, current: str | None) -> str | None:
    """The release before `current` in the environment's history (the rollback target)."""
    for release in reversed(history(entries, env)):
        if release != current:
            return release
    return None


def reached(entries: Sequence[Entry], release: str, env: str) -> Entry | None:
    """The first entry that took `release` to `env` healthily."""
    return next(
        (
            e
            for e in entries
            if e["action"] == "promote.done" and e["release"] == release and e.get("env") == env
        ),
        None,
    )


def _gate_passed(entries: Sequence[Entry], release: str, env: str, gate: str) -> bool:
    results = [
        e
        for e in entries
        if e["action"] in (f"gate.{gate}", "gate.all")
        and e["release"] == release
        and e.get("env") == env
        and (e["action"] == f"gate.{gate}" or gate in e.get("details", {}).get("gates", []))
    ]
    return bool(results) and bool(results[-1].get("details", {}).get("ok"))


def check_order(policy: Policy, entries: Sequence[Entry], release: str, env: str, now: datetime) -> None:
    """Refused unless `release` passed the environment before `env` on the path (and its gates
    there, and the soak time since)."""
    path = policy.path
    index = path.index(env)
    if index == 0:
        return
    before = path[index - 1]
    arrival = reached(entries, release, before)
    if arrival is None:
        raise Refused(
            f"promote {release} to {env}",
            f"it has not been promoted to {before}, which comes first on the promotion path",
            f"Promote it to {before} first (parity promote {release} --to {before})",
        )
    for gate in policy.promotion_gates:
        if not _gate_passed(entries, release, before, gate):
            raise Refused(
                f"promote {release} to {env}",
                f"no passing {gate} gate for it in {before}",
                f"Run parity gate {gate} --env {before} --release {release}",
            )
    soak = policy.soak.get(env)
    if soak and now - when(arrival) < soak:
        left = soak - (now - when(arrival))
        raise Refused(
            f"promote {release} to {env}",
            f"it has soaked in {before} for less than {soak}",
            f"Wait {int(left.total_seconds()) + 1}s more",
        )


@dataclass(frozen=True)
class Approval:
    actor: str
    time: datetime
    expires: datetime


def approvals(entries: Iterable[Entry], release: str, env: str, now: datetime) -> list[Approval]:
    """Unexpired approvals of `release` for `env`, one per approver (the latest)."""
    latest: dict[str, Approval] = {}
    for e in entries:
        if e["action"] == "approve" and e["release"] == release and e.get("env") == env:
            expires = datetime.fromisoformat(str(e["details"]["expires"]))
            latest[str(e["actor"]).lower()] = Approval(str(e["actor"]), when(e), expires)
    return [a for a in latest.values() if a.expires > now]


def same_person(actor: str, people: Iterable[str]) -> bool:
    wanted = actor.strip().lower()
    return any(wanted == p.strip().lower() for p in people)


def check_approver(
    policy: Policy, env: str, actor: str, authors: Iterable[str], already: Sequence[Approval]
) -> None:
    rules = policy.approvals.get(env)
    subject = f"{actor} approving for {env}"
    if rules is None or rules.required == 0:
        raise Refused(subject, f"{env} needs no approvals", f"Promote it: parity promote ID --to {env}")
    if rules.approvers and not same_person(actor, rules.approvers):
        raise Refused(
            subject,
            f"{actor} is not on the approvers list for {env}",
            "Ask one of approvals.{env}.approvers in parity.toml",
        )
    if rules.separation_of_duties and same_person(actor, authors):
        raise Refused(
            subject,
            "an author or committer of the release's changes cannot approve it (separation of duties)",
            "Ask an approver who did not write or commit these changes",
        )
    if same_person(actor, [a.actor for a in already]):
        raise Refused(
            subject,
            f"{actor} has approved this release already; approvals must come from distinct people",
            "Ask another approver",
        )


def check_approved(
    policy: Policy, env: str, release: str, valid: Sequence[Approval], authors: Iterable[str]
) -> None:
    rules = policy.approvals.get(env)
    if rules is None or rules.required == 0:
        return
    people = list(authors)
    counted = {
        a.actor.lower() for a in valid if not (rules.separation_of_duties and same_person(a.actor, people))
    }
    if len(counted) < rules.required:
        raise Refused(
            f"promote {release} to {env}",
            f"it has {len(counted)} valid approval(s) of the {rules.required} required "
            "(distinct approvers, none an author, unexpired)",
            f"Ask for {rules.required - len(counted)} more: parity approve {release} --env {env} --as USER",
        )


def pending(policy: Policy, entries: Sequence[Entry]) -> list[Entry]:
    """Emergency promotions whose retro-approvals are still missing."""
    out = []
    for index, e in enumerate(entries):
        if e["action"] != "emergency":
            continue
        rules = policy.approvals.get(str(e["env"]))
        required = rules.required if rules else 0
        later = {
            str(a["actor"]).lower()
            for a in entries[index + 1 :]
            if a["action"] == "approve" and a["release"] == e["release"] and a.get("env") == e["env"]
        }
        if len(later) < max(required, 1):
            out.append(e)
    return out


def expiry(policy: Policy, env: str, now: datetime) -> datetime:
    rules = policy.approvals.get(env)
    return now + (rules.expires if rules else timedelta(hours=24))
