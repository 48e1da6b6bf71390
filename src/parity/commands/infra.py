"""`parity infra plan|apply ENV`: the environment's declared infrastructure against live state,
read directly every time (never from a record of what was applied). Kafka topics (`spec.topics`,
`spec.topicConfig`) through the Admin API; the AWS stack (infra/aws/platform.yaml with the
environment's parameters) through a CloudFormation change set plus the S3, IAM and Secrets Manager
APIs. `plan` exits 1 when anything differs; `apply` changes what can be changed, then plans again
and exits 1 if drift remains."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from parity import loaders
from parity.errors import FINDINGS, OK, BadInput
from parity.infra import Drift, aws, aws_live, topics
from parity.output import emit_json
from parity.policy import Policy
from parity.rendering import VALUES_FILE, read_values
from parity.validate.places import aws_errors

PARTS = ("aws", "topics")
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
            "Pass --bootstrap-servers to a PLAINTEXT listener, or --only aws",
        )
    return str(kafka["bootstrapServers"])


def _topics(values: dict[str, Any], source: str, env: str, action: str, bootstrap: str | None) -> Any:
    declared = topics.declared(values, source)
    client = topics.admin(_bootstrap(values, env, bootstrap))
    live, brokers = topics.live(client, list(declared))
    wanted, notes = topics.capped(declared, brokers)
    drifts = topics.plan(wanted, live)
    applied: list[Drift] = []
    if action == "apply" and drifts:
        applied = topics.apply(client, wanted, drifts)
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            drifts = topics.plan(wanted, topics.live(client, list(declared))[0])
            if all(not d.fix for d in drifts) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    return len(declared), notes, applied, drifts


def _aws(root: Path, values: dict[str, Any], values_env: str, action: str, endpoint: str | None) -> Any:
    source = f"overlays/{values_env}/{VALUES_FILE}"
    kustomization = loaders.Fields(
        loaders.load_yaml(root, f"overlays/{values_env}/kustomization.yaml") or {},
        f"overlays/{values_env}/kustomization.yaml",
    )
    declared = aws.declared(root, values, values_env, kustomization.string("namespace"), source)
    c = aws_live.clients(declared.region, endpoint)
    with aws_errors(f"stack {declared.stack}", "AWS", "Check the credentials and the endpoint"):
        aws_live.require_account(c, declared)
        drifts = aws_live.plan(c, declared)
        applied: list[Drift] = []
        if action == "apply" and drifts:
            applied = aws_live.apply(c, declared, drifts)
            drifts = aws_live.plan(c, declared)
    count = 1 + len(declared.buckets) + len(declared.roles) + len(declared.secrets)
    return count, [], applied, drifts


def run(
    root: Path,
    policy: Policy,
    action: str,
    env: str,
    only: list[str] | None,
    bootstrap: str | None,
    endpoint: str | None,
    output_format: str,
) -> int:
    policy.require_env(env)
    values_env = policy.values_env(env)
    values = read_values(root, values_env)
    source = f"overlays/{values_env}/{VALUES_FILE}"
    parts = {}
    for part in only or PARTS:  # every declaration is read (and rejected if malformed) first
        if part == "aws":
            aws.declared(root, values, values_env, "-", source)
        else:
            topics.declared(values, source)
            _bootstrap(values, env, bootstrap)
    for part in only or PARTS:
        if part == "aws":
            parts[part] = _aws(root, values, values_env, action, endpoint)
        else:
            parts[part] = _topics(values, source, env, action, bootstrap)
    drifts = [d for _, _, _, found in parts.values() for d in found]
    if output_format == "json":
        emit_json(
            {
                "env": env,
                "action": action,
                **{
                    part: {
                        "objects": count,
                        "notes": notes,
                        "applied": [d.line() for d in applied],
                        "drift": [d.line() for d in found],
                    }
                    for part, (count, notes, applied, found) in parts.items()
                },
            }
        )
    else:
        for part, (count, notes, applied, found) in parts.items():
            for line in notes:
                print(f"note: {line}")
            for drift in applied:
                print(f"applied: {drift.line()}")
            for drift in found:
                print(f"DRIFT {drift.line()}")
            print(
                f"parity infra {action} {env} ({part}): {count} object(s), {len(applied)} change(s) applied, "
                f"{len(found)} drift(s)",
                file=sys.stderr,
            )
    return FINDINGS if drifts else OK
