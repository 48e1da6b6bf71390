"""Where `parity sample` reads and writes beyond local files, as masked_sample_refresh runs it:

- a warehouse table, `table:DATABASE.SCHEMA.TABLE`, read through the Snowflake connector with the
  environment's own connection values (FINSIGHT_SNOWFLAKE_* from platform-values, the password
  from the snowflake-credentials Secret), so the same command reads prod's RAW_PROD in prod and
  the fakesnow stand-in locally;
- S3, `s3://BUCKET/KEY`: the sample is staged locally and put as one object, so it appears whole
  or not at all (FINSIGHT_S3_ENDPOINT_URL points it at LocalStack locally).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity.errors import BadInput

TABLE = "table:"
S3 = "s3://"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
# The connector's arguments and the variables (platform-values, the Secret) they come from.
_CONNECTION = {
    "account": "FINSIGHT_SNOWFLAKE_ACCOUNT",
    "user": "FINSIGHT_SNOWFLAKE_USER",
    "password": "DBT_ENV_SECRET_SNOWFLAKE_PASSWORD",
    "host": "FINSIGHT_SNOWFLAKE_HOST",
}
_OPTIONAL = {
    "role": "FINSIGHT_SNOWFLAKE_ROLE",
    "warehouse": "FINSIGHT_SNOWFLAKE_WAREHOUSE",
    "port": "FINSIGHT_SNOWFLAKE_PORT",
    "protocol": "FINSIGHT_SNOWFLAKE_PROTOCOL",
}
_FETCH = 10_000


@dataclass(frozen=True)
class Table:
    database: str
    schema: str
    name: str

    def __str__(self) -> str:
        return f"{self.database}.{self.schema}.{self.name}"


def table(src: str) -> Table | None:
    """The table `src` names (`table:DATABASE.SCHEMA.TABLE`), or None for a file."""
    if not src.startswith(TABLE):
        return None
    parts = src[len(TABLE) :].split(".")
    if len(parts) != 3 or not all(_IDENTIFIER.fullmatch(p) for p in parts):
        raise BadInput(src, "is not a table name", "Write it table:DATABASE.SCHEMA.TABLE (plain identifiers)")
    return Table(*parts)


def _connect() -> Any:
    missing = sorted(variable for variable in _CONNECTION.values() if not os.environ.get(variable))
    if missing:
        raise BadInput(
            "the warehouse connection",
            f"needs {', '.join(missing)}",
            "Run it with the environment's platform-values and snowflake-credentials (as the DAG does)",
        )
    import snowflake.connector
    from snowflake.connector.errors import Error

    settings: dict[str, Any] = {argument: os.environ[v] for argument, v in _CONNECTION.items()}
    settings.update({argument: os.environ[v] for argument, v in _OPTIONAL.items() if os.environ.get(v)})
    try:
        return snowflake.connector.connect(**settings, login_timeout=60, network_timeout=600)
    except Error as exc:
        raise BadInput(
            f"the warehouse at {settings['host']}", f"refused the connection: {exc}", "Check the settings"
        ) from None


def read_table(source: Table) -> tuple[list[str], list[dict[str, Any]]]:
    """Every row of the table, in one order that depends on the contents only (ORDER BY every
    column), so the seeded sample is the same on every run. Column names are the policy's: the
    warehouse's unquoted identifiers are case-insensitive (Snowflake reports them upper-case)."""
    from snowflake.connector.errors import Error

    connection = _connect()
    try:
        cursor = connection.cursor()
        cursor.execute(f"select * from {source} limit 0")
        names = [str(column[0]).lower() for column in cursor.description]
        if len(set(names)) != len(names):
            raise BadInput(str(source), "has columns whose names differ only in case", "Rename them")
        order = ", ".join(str(position) for position in range(1, len(names) + 1))
        cursor.execute(f"select * from {source} order by {order}")
        rows: list[dict[str, Any]] = []
        while batch := cursor.fetchmany(_FETCH):
            rows.extend(dict(zip(names, row, strict=True)) for row in batch)
        return names, rows
    except Error as exc:
        raise BadInput(str(source), f"cannot be read: {exc}", "Check the table's name and grants") from None
    finally:
        connection.close()


def s3_object(place: str) -> tuple[str, str] | None:
    """(bucket, key) of an s3:// URL, or None for a file."""
    if not place.startswith(S3):
        return None
    bucket, _, key = place[len(S3) :].partition("/")
    if not bucket or not key or key.endswith("/"):
        raise BadInput(place, "names no object", "Write it s3://BUCKET/KEY.csv")
    return bucket, key


def _s3() -> Any:
    import boto3  # type: ignore[import-untyped]

    return boto3.session.Session().client(
        "s3", endpoint_url=os.environ.get("FINSIGHT_S3_ENDPOINT_URL") or None
    )


@contextmanager
def aws_errors(place: str, service: str, refused: str) -> Iterator[None]:
    """An AWS call's failure as one line: what `service` refused (its error code), or that it
    cannot be reached."""
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    try:
        yield
    except ClientError as exc:
        raise BadInput(
            place, f"{service} refused it: {exc.response['Error'].get('Code', exc)}", refused
        ) from None
    except BotoCoreError as exc:
        raise BadInput(place, f"{service} cannot be reached: {exc}", "Check the AWS settings") from None


_GRANTS = "Check the bucket and the role's grants"


def s3_get(bucket: str, key: str, path: Path) -> bool:
    """Download the object to `path`; False when there is none."""
    from botocore.exceptions import ClientError

    place = f"{S3}{bucket}/{key}"
    with aws_errors(place, "S3", _GRANTS):
        try:
            body = _s3().get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response["Error"].get("Code") in ("NoSuchKey", "404"):
                return False
            raise
    path.write_bytes(body)
    return True


def s3_put(path: Path, bucket: str, key: str) -> None:
    with aws_errors(f"{S3}{bucket}/{key}", "S3", _GRANTS):
        _s3().put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
