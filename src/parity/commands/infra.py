"""`parity infra plan|apply ENV`: the environment's declared infrastructure against live state,
read directly every time (never from a record of what was applied). Kafka topics (`spec.topics`,
`spec.topicConfig`) through the Admin API; the AWS stack (infra/aws/platform.yaml with the
environment's parameters) through a CloudFormation change set plus the S3, IAM and Secrets Manager
APIs; Snowflake objects (infra/snowflake.yaml) through the connector. `plan` exits 1 when anything
differs; `apply` changes what can be changed, then plans again and exits 1 if drift remains."""

from __future__ import annotations

import sys
from pathlib import Path

from parity.errors import FINDINGS, OK
from parity.infra.plan import run_parts
from parity.output import emit_json
from parity.policy import Policy


def run(
    root: Path,
    policy: Policy,
    action: str,
    env: str,
    only: list[str] | None,
    bootstrap: str | None,
    endpoint: str | None,
    snowflake_stand_in: str | None,
    output_format: str,
) -> int:
    parts = run_parts(root, policy, action, env, only, bootstrap, endpoint, None, snowflake_stand_in)
    if output_format == "json":
        emit_json(
            {
                "env": env,
                "action": action,
                **{
                    name: {
                        "objects": part.objects,
                        "notes": part.notes,
                        "applied": [d.line() for d in part.applied],
                        "drift": [d.line() for d in part.drift],
                    }
                    for name, part in parts.items()
                },
            }
        )
    else:
        for name, part in parts.items():
            for line in part.notes:
                print(f"note: {line}")
            for drift in part.applied:
                print(f"applied: {drift.line()}")
            for drift in part.drift:
                print(f"DRIFT {drift.line()}")
            print(
                f"parity infra {action} {env} ({name}): {part.objects} object(s), "
                f"{len(part.applied)} change(s) applied, {len(part.drift)} drift(s)",
                file=sys.stderr,
            )
    return FINDINGS if any(part.drift for part in parts.values()) else OK
