"""Plan or apply an environment's declared infrastructure, part by part (`aws`, `topics`): what
`parity infra` prints and what `parity promote` runs before a release's workloads."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from parity import loaders
from parity.errors import BadInput
from parity.infra import Drift, aws, aws_live, snowflake, topics
from parity.policy import Policy
from parity.rendering import VALUES_FILE, read_values
from parity.validate.places import aws_errors
from parity.validate.topics import TopicSpec

PARTS = ("aws", "topics", "snowflake")
# An administrator's login for the account (never dbt's service user); the account and host are
# the environment's own (spec.snowflake).
SNOWFLAKE_LOGIN = ("SNOWFLAKE_USER", "SNOWFLAKE_PASSWORD")
_LOGIN = "Log in as its administrator, pass --snowflake-stand-in HOST:PORT, or leave it out with --only"
SETTLE_SECONDS = 15  # a created topic's metadata reaches every listener within this


class Part(NamedTuple):
    objects: int
    notes: list[str]
    applied: list[Drift]
    drift: list[Drift]


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


def topic_part(declared: dict[str, TopicSpec], address: str, action: str) -> Part:
    client = topics.admin(address)
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
    return Part(len(declared), notes, applied, drifts)


def _namespace(root: Path, values_env: str) -> str:
    source = f"overlays/{values_env}/kustomization.yaml"
    return loaders.Fields(loaders.load_yaml(root, source) or {}, source).string("namespace")


def _aws(declared: aws.Declared, action: str, endpoint: str | None, keys: tuple[str, str] | None) -> Part:
    c = aws_live.clients(declared.region, endpoint, keys)
    with aws_errors(f"stack {declared.stack}", "AWS", "Check the credentials and the endpoint"):
        aws_live.require_account(c, declared)
        drifts = aws_live.plan(c, declared)
        applied: list[Drift] = []
        if action == "apply" and drifts:
            applied = aws_live.apply(c, declared, drifts)
            drifts = aws_live.plan(c, declared)
    count = 1 + len(declared.buckets) + len(declared.roles) + len(declared.secrets)
    return Part(count, [], applied, drifts)


def connect(values: dict[str, Any], env: str, stand_in: str | None) -> Any:
    from snowflake.connector.errors import Error

    from parity.stack import fakesnow_connection

    if stand_in:
        host, _, port = stand_in.rpartition(":")
        try:
            return fakesnow_connection(host, int(port))
        except (Error, ValueError) as exc:
            raise BadInput(
                f"--snowflake-stand-in {stand_in}", f"no stand-in answers: {exc}", "Start it"
            ) from None
    import snowflake.connector  # run_parts checked the login variables before anything started

    sf = values["snowflake"]
    try:
        return snowflake.connector.connect(
            account=sf["account"],
            host=sf["host"],
            port=int(sf["port"]),
            protocol=sf["protocol"],
            user=os.environ["SNOWFLAKE_USER"],
            password=os.environ["SNOWFLAKE_PASSWORD"],
            role=os.environ.get("SNOWFLAKE_ROLE", "SYSADMIN"),
            login_timeout=60,
        )
    except Error as exc:
        raise BadInput(f"{env}'s Snowflake account", f"refused the login: {exc}", "Check it") from None


def _snowflake(
    objects: snowflake.Objects, values: dict[str, Any], env: str, action: str, stand_in: str | None
) -> Part:
    from snowflake.connector.errors import Error

    connection = connect(values, env, stand_in)
    try:
        cursor = connection.cursor()
        drifts = snowflake.plan(cursor, objects, bool(stand_in))
        applied: list[Drift] = []
        if action == "apply" and drifts:
            for statement in snowflake.statements(objects, drifts):
                cursor.execute(statement)
            applied = [d for d in drifts if d.fix]
            drifts = snowflake.plan(cursor, objects, bool(stand_in))
    except Error as exc:
        raise BadInput(
            f"{env}'s Snowflake account", f"refused a statement: {exc}", "Check the grants"
        ) from None
    finally:
        connection.close()
    count = len(objects.warehouses) + len(objects.roles) + sum(1 + len(s) for s in objects.databases.values())
    return Part(count, snowflake.notes(objects, bool(stand_in)), applied, drifts)


def run_parts(
    root: Path,
    policy: Policy,
    action: str,
    env: str,
    only: list[str] | tuple[str, ...] | None,
    bootstrap: str | None,
    endpoint: str | None,
    keys: tuple[str, str] | None = None,  # AWS access key id and secret; default: the environment's
    snowflake_stand_in: str | None = None,  # HOST:PORT of a fakesnow server instead of the account
) -> dict[str, Part]:
    policy.require_env(env)
    values_env = policy.values_env(env)
    values = read_values(root, values_env)
    source = f"overlays/{values_env}/{VALUES_FILE}"
    # Every declaration is read (and rejected if malformed) before anything is reached.
    runs: dict[str, Callable[[], Part]] = {}
    for part in only or PARTS:
        if part == "aws":
            declared = aws.declared(root, values, values_env, _namespace(root, values_env), source)
            runs[part] = partial(_aws, declared, action, endpoint, keys)
        elif part == "topics":
            wanted = topics.declared(values, source)
            runs[part] = partial(topic_part, wanted, _bootstrap(values, env, bootstrap), action)
        else:
            objects = snowflake.declared(root, values, source)
            missing = [name for name in SNOWFLAKE_LOGIN if not os.environ.get(name)]
            if missing and not snowflake_stand_in:
                raise BadInput(f"{env}'s Snowflake account", f"needs {', '.join(missing)}", _LOGIN)
            runs[part] = partial(_snowflake, objects, values, env, action, snowflake_stand_in)
    return {part: run() for part, run in runs.items()}
