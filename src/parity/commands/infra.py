"""`parity infra plan|apply ENV`: the environment's declared infrastructure against live state,
read directly every time (never from a record of what was applied). So far Kafka topics: names
from `spec.topics`, settings from `spec.topicConfig`. `plan` exits 1 when anything differs;
`apply` changes what the Admin API can change, then plans again and exits 1 if drift remains."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from parity.errors import FINDINGS, OK, BadInput
from parity.infra import topics
from parity.output import emit_json
from parity.policy import Policy
from parity.rendering import VALUES_FILE, read_values

SETTLE_SECONDS = 15  # a created topic's metadata reaches every listener within this


def _bootstrap(values: dict[str, Any], env: str, given: str | None) -> str:
    if given:
        return given
    kafka = values.get("kafka") or {}
    protocol = kafka.get("securityProtocol", "")
    if protocol != "PLAINTEXT":
        raise BadInput(
            f"{env}'s brokers",
            f"take {protocol or 'an unknown protocol'}, which parity infra cannot authenticate to yet",
            "Pass --bootstrap-servers to a PLAINTEXT listener",
        )
    return str(kafka["bootstrapServers"])


def run(root: Path, policy: Policy, action: str, env: str, bootstrap: str | None, output_format: str) -> int:
    policy.require_env(env)
    values_env = policy.values_env(env)
    values = read_values(root, values_env)
    declared = topics.declared(values, f"overlays/{values_env}/{VALUES_FILE}")
    client = topics.admin(_bootstrap(values, env, bootstrap))
    live, brokers = topics.live(client, list(declared))
    wanted, notes = topics.capped(declared, brokers)
    drifts = topics.plan(wanted, live)
    applied: list[topics.Drift] = []
    if action == "apply" and drifts:
        applied = topics.apply(client, wanted, drifts)
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            drifts = topics.plan(wanted, topics.live(client, list(declared))[0])
            if all(not d.fix for d in drifts) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    if output_format == "json":
        emit_json(
            {
                "env": env,
                "action": action,
                "topics": len(declared),
                "notes": notes,
                "applied": [d.line() for d in applied],
                "drift": [d.line() for d in drifts],
            }
        )
    else:
        for line in notes:
            print(f"note: {line}")
        for drift in applied:
            print(f"applied: {drift.line()}")
        for drift in drifts:
            print(f"DRIFT {drift.line()}")
        print(
            f"parity infra {action} {env}: {len(declared)} topic(s), {len(applied)} change(s) applied, "
            f"{len(drifts)} drift(s)",
            file=sys.stderr,
        )
    return FINDINGS if drifts else OK
