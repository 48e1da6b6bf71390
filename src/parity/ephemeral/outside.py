"""Edge: what an ephemeral environment owns outside its namespace, made and removed: its topics
(Kafka Admin API), its S3 prefix in each of the template's buckets, and its Snowflake databases
(zero-copy clones of the template's schemas).

Every object made is recorded (`Made`) on the namespace before the next is made, with the
endpoint it was made at, so destroy and reap remove exactly that from any machine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from parity.errors import BadInput
from parity.infra import aws_live, topics
from parity.infra.plan import SNOWFLAKE_LOGIN, connect, topic_part

MARKER = ".parity-env"  # one object under the prefix: it says whose the prefix is


@dataclass
class Made:
    kafka: str = ""  # the brokers the topics were made at
    topics: list[str] = field(default_factory=list)
    s3_endpoint: str = ""
    s3_keys: list[str] = field(default_factory=list)  # access key id, secret (LocalStack's only)
    region: str = ""
    prefixes: list[str] = field(default_factory=list)  # s3://BUCKET/NAME/
    databases: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Made:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def record(self) -> dict[str, Any]:
        return asdict(self)


def make_topics(
    made: Made, spec: Mapping[str, Any], source: str, bootstrap: str, save: Callable[[], None]
) -> int:
    wanted = topics.declared(spec, source)
    made.kafka, made.topics = bootstrap, sorted(wanted)
    save()  # recorded before they exist: a failure half-way still leaves destroy their names
    part = topic_part(wanted, bootstrap, "apply")
    left = [d for d in part.drift if d.fix]
    if left:
        raise BadInput(
            f"topic {left[0].subject}", f"still differs after create: {left[0].line()}", "Check the broker"
        )
    return len(wanted)


def _s3(made: Made) -> Any:
    keys = (made.s3_keys[0], made.s3_keys[1]) if len(made.s3_keys) == 2 else None
    return aws_live.clients(made.region, made.s3_endpoint or None, keys).s3


def make_prefixes(made: Made, spec: Mapping[str, Any], name: str, save: Callable[[], None]) -> int:
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    made.prefixes = [f"s3://{bucket}/{name}/" for bucket in sorted(set((spec.get("buckets") or {}).values()))]
    save()
    client = _s3(made)
    for prefix in made.prefixes:
        bucket = prefix.removeprefix("s3://").split("/", 1)[0]
        try:
            client.put_object(
                Bucket=bucket, Key=f"{name}/{MARKER}", Body=f"ephemeral environment {name}\n".encode()
            )
        except ClientError as exc:
            raise BadInput(
                f"s3://{bucket}", f"refused the environment's prefix: {aws_live.error_code(exc)}",
                "Make the template's buckets first: parity infra apply ephemeral --only aws",
            ) from None  # fmt: skip
    return len(made.prefixes)


def clone(made: Made, spec: Mapping[str, Any], statements: list[str], save: Callable[[], None]) -> int:
    prefix = "CREATE DATABASE IF NOT EXISTS "
    made.databases = [s.removeprefix(prefix) for s in statements if s.startswith(prefix)]
    save()
    return _run(spec, statements)


def _run(spec: Mapping[str, Any], statements: list[str]) -> int:
    from snowflake.connector.errors import Error

    connection = connect(dict(spec), "the ephemeral environment", None)
    try:
        cursor = connection.cursor()
        for statement in statements:
            cursor.execute(statement)
    except Error as exc:
        raise BadInput(
            "Snowflake", f"refused {statements[0][:60]}...: {exc}", "Check the login's grants"
        ) from None
    finally:
        connection.close()
    return len(statements)


def can_clone() -> bool:
    return all(os.environ.get(v) for v in SNOWFLAKE_LOGIN)


def remove(made: Made, spec: Mapping[str, Any] | None) -> list[str]:
    """Remove what `made` records; returns what was removed, one line each."""
    out = []
    if made.topics:
        out += [f"topic {t}" for t in topics.delete(topics.admin(made.kafka), made.topics)]
    if made.prefixes:
        client = _s3(made)
        for prefix in made.prefixes:
            bucket, _, key = prefix.removeprefix("s3://").partition("/")
            gone = _empty(client, bucket, key)
            out.append(f"{prefix} ({gone} object version(s))")
    if made.databases and spec is not None and can_clone():
        _run(spec, [f"DROP DATABASE IF EXISTS {name}" for name in made.databases])
        out += [f"Snowflake database {name}" for name in made.databases]
    return out


def _empty(client: Any, bucket: str, prefix: str) -> int:
    """Every version and delete marker under the prefix (the buckets are versioned)."""
    from botocore.exceptions import ClientError

    removed = 0
    try:
        pages = client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix)
        for page in pages:
            doomed = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in (*page.get("Versions", []), *page.get("DeleteMarkers", []))
            ]
            if doomed:
                client.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})
                removed += len(doomed)
    except ClientError as exc:
        if aws_live.error_code(exc) != "NoSuchBucket":
            raise BadInput(
                f"s3://{bucket}/{prefix}", f"could not be emptied: {aws_live.error_code(exc)}", "Check access"
            ) from None
    return removed
