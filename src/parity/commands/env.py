"""`parity env create NAME --from ENV [--ttl 8h]`, `parity env list`, `parity env destroy NAME` and
`parity env reap`: ephemeral environments (parity.ephemeral)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from parity import ephemeral
from parity.ephemeral import live, overlay
from parity.errors import OK
from parity.output import emit_json, table
from parity.policy import Policy


def _say(text: str) -> None:
    print(f"  {text}", file=sys.stderr)


def _age(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    return f"{minutes // 60}h{minutes % 60:02d}m"


def create(
    root: Path, policy: Policy, name: str, source: str, ttl: str | None,
    stand_in: bool, bootstrap: str | None, endpoint: str | None, wait: bool, output_format: str,
) -> int:  # fmt: skip
    s = ephemeral.settings(root, policy)
    ephemeral.require_name(name, policy)
    policy.require_env(source)
    now = datetime.now(UTC).replace(microsecond=0)
    env = overlay.Env(name, source, s.template, now, now + ephemeral.require_ttl(ttl, s))
    made = live.create(root, policy, s, env, stand_in, bootstrap, endpoint, wait, _say)
    if output_format == "json":
        emit_json({"name": name, "namespace": made.namespace, "expires": made.expires.isoformat(),
                   "cost_per_hour": made.rate, "made": made.made.record()})  # fmt: skip
    else:
        print(f"created {name} in {made.namespace}, mirroring {source}, expires {made.expires.isoformat()}")
    return OK


def list_(root: Path, policy: Policy, stand_in: bool, output_format: str) -> int:
    s = ephemeral.settings(root, policy)
    now = datetime.now(UTC)
    found = live.environments(live.cluster(root, policy, s, "", stand_in))
    if output_format == "json":
        emit_json([
            {"name": e.name, "namespace": e.namespace, "from": e.source, "created": e.created.isoformat(),
             "expires": e.expires.isoformat(), "ttl": e.ttl, "age_seconds": int(e.age(now).total_seconds()),
             "expired": e.expires <= now, "cost_per_hour": e.rate, "cost_so_far": e.spent(now)}
            for e in found
        ])  # fmt: skip
        return OK
    if not found:
        print("no ephemeral environments")
        return OK
    rows = [
        [e.name, e.source, _age(e.age(now)), e.ttl,
         "expired" if e.expires <= now else f"in {_age(e.expires - now)}",
         f"${e.spent(now):.2f} (${e.rate:.2f}/h)"]
        for e in found
    ]  # fmt: skip
    table(["NAME", "FROM", "AGE", "TTL", "EXPIRES", "EST. COST"], rows)
    return OK


def destroy(root: Path, policy: Policy, name: str, stand_in: bool, output_format: str) -> int:
    s = ephemeral.settings(root, policy)
    target = live.cluster(root, policy, s, ephemeral.require_name(name, policy), stand_in)
    removed = live.destroy(root, policy, s, live.find(target, name), target)
    if output_format == "json":
        emit_json({"name": name, "removed": removed})
    else:
        for line in removed:
            print(f"removed {line}")
        print(f"destroyed {name}")
    return OK


def reap(root: Path, policy: Policy, stand_in: bool, output_format: str) -> int:
    s = ephemeral.settings(root, policy)
    target = live.cluster(root, policy, s, "", stand_in)
    reaped, kept = live.reap(root, policy, s, target, datetime.now(UTC))
    if output_format == "json":
        emit_json({"reaped": [e.name for e in reaped], "kept": [e.name for e in kept]})
    else:
        for e in reaped:
            print(f"reaped {e.name} (expired {e.expires.isoformat()})")
        print(f"{len(reaped)} reaped, {len(kept)} still within their TTL")
    return OK
