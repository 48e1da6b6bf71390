"""Edge: what the stand-ins hold before the workloads start, from the local rendering's values
(dev's): the Airflow database and role, the buckets, the Secrets Manager entries the
ExternalSecrets and Airflow's secrets backend read (and the masking key), the topics, and the
synthetic raw drops in S3 (datagen, seeded: never production data). The warehouse's share is
warehouse.py's."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from typing import Any

from parity.cluster import plan as p
from parity.cluster.context import Stack, UpFailed, write
from parity.validate import policies


def create_airflow_db(s: Stack) -> None:
    password = local_secret(s, "postgres-airflow")
    sql = (
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'airflow') THEN "
        f"CREATE ROLE airflow LOGIN PASSWORD '{password}'; END IF; END $$;"
    )
    psql = [
        "/usr/lib/postgresql/15/bin/psql",
        "-h",
        str(s.layout.postgres / "run"),
        "-p",
        str(p.POSTGRES.port),
        "-U",
        "postgres",
        "-v",
        "ON_ERROR_STOP=1",
    ]
    for statement in (sql,):
        subprocess.run([*psql, "-c", statement], capture_output=True, text=True, user="postgres", check=True)
    exists = subprocess.run(
        [*psql, "-tAc", "SELECT 1 FROM pg_database WHERE datname = 'airflow'"],
        capture_output=True,
        text=True,
        user="postgres",
        check=True,
    ).stdout.strip()
    if exists != "1":
        subprocess.run(
            [*psql, "-c", "CREATE DATABASE airflow OWNER airflow"],
            capture_output=True,
            user="postgres",
            check=True,
        )


def local_secret(s: Stack, name: str) -> str:
    """A generated secret of this local stack, kept in its state dir (never in the repo)."""
    store = s.layout.pki / "local-secrets.json"
    known = json.loads(store.read_text()) if store.exists() else {}
    if name not in known:
        known[name] = secrets.token_urlsafe(48)  # 64 characters: enough for any HMAC key
        write(store, json.dumps(known, indent=2), 0o600)
    return str(known[name])


def aws(service: str, account: str) -> Any:
    """A client of LocalStack in `account` (it takes a 12-digit access key id as the account)."""
    import boto3  # type: ignore[import-untyped]

    return boto3.client(
        service,
        endpoint_url=p.AWS_ENDPOINT,
        region_name="eu-west-1",
        aws_access_key_id=account,
        # parity: allow secret -- LocalStack ignores the secret key; this placeholder is no secret
        aws_secret_access_key="localstack",  # noqa: S106
    )


def secret_values(s: Stack, key: str, properties: set[str]) -> dict[str, str]:
    """What each Secrets Manager entry the ExternalSecrets read holds locally."""
    import base64

    known = {
        ("finsight/airflow/metadata-db", "sql_alchemy_conn"): (
            f"postgresql+psycopg2://airflow:{local_secret(s, 'postgres-airflow')}@{p.POSTGRES}/airflow"
        ),
        ("finsight/airflow/core", "fernet_key"): base64.urlsafe_b64encode(
            local_secret(s, "fernet").encode()[:32].ljust(32, b"0")
        ).decode(),
    }
    return {prop: known.get((key, prop)) or local_secret(s, f"{key}#{prop}") for prop in sorted(properties)}


def platform_values(resources: list[dict[str, Any]]) -> dict[str, str]:
    """The rendering's platform-values ConfigMap: the values every workload reads."""
    return dict(
        next(
            r["data"]
            for r in resources
            if r["kind"] == "ConfigMap" and r["metadata"]["name"] == "platform-values"
        )
    )


def _put_secret(manager: Any, key: str, value: dict[str, Any]) -> None:
    """Create the Secrets Manager entry, or give an existing one this value (idempotent `up`)."""
    try:
        manager.create_secret(Name=key, SecretString=json.dumps(value))
    except manager.exceptions.ResourceExistsException:
        manager.put_secret_value(SecretId=key, SecretString=json.dumps(value))


def seed(s: Stack, resources: list[dict[str, Any]]) -> None:
    """Buckets, Secrets Manager entries and topics the local rendering's workloads use."""
    values = platform_values(resources)
    account = values["FINSIGHT_AWS_ACCOUNT_ID"]  # dev's: the ExternalSecrets' role lives there
    infrastructure(s, account)
    wanted: dict[str, set[str]] = {}
    for r in resources:
        if r["kind"] == "ExternalSecret":
            for item in r["spec"].get("data", []):
                ref = item["remoteRef"]
                wanted.setdefault(ref["key"], set()).add(ref.get("property", ""))
    manager = aws("secretsmanager", account)
    # The masking policies' HMAC key (what `parity sample` in masked_sample_refresh reads).
    for _, policy in policies.load_all(s.root).values():
        wanted.setdefault(policy.key_secret, set()).add(policy.key_property or "")
    for key, properties in sorted(wanted.items()):
        _put_secret(manager, key, secret_values(s, key, properties))
    # Airflow's connections come from Secrets Manager too (AIRFLOW__SECRETS__BACKEND); locally the
    # pods reach the cluster from inside and AWS through LocalStack.
    connections = {
        "kubernetes_default": {"conn_type": "kubernetes", "extra": {"in_cluster": True}},
        "aws_default": {
            "conn_type": "aws",
            "extra": {"endpoint_url": p.AWS_ENDPOINT, "region_name": "eu-west-1"},
        },
    }
    for conn_id, connection in connections.items():
        _put_secret(manager, f"finsight/airflow/connections/{conn_id}", connection)


def infrastructure(s: Stack, account: str) -> None:
    """Dev's declared infrastructure, as `parity infra apply dev` makes it: the CloudFormation stack
    (buckets with versioning, KMS and lifecycle, IRSA roles, secret placeholders) in LocalStack,
    dev's topics with their declared partitions and settings on the broker, and dev's databases and
    schemas in fakesnow."""
    from parity.cli import load_policy
    from parity.infra.plan import run_parts

    keys = (account, "localstack")  # LocalStack takes the access key id as the account
    policy = load_policy(s.root)
    parts = run_parts(
        s.root, policy, "apply", "dev", None, str(p.KAFKA), p.AWS_ENDPOINT, keys, str(p.FAKESNOW)
    )
    left = [d.line() for part in parts.values() for d in part.drift]
    if left:
        raise UpFailed(
            "dev's infrastructure",
            f"{len(left)} drift(s) after apply, first: {left[0]}",
            "See parity infra plan dev",
        )


def seed_raw(s: Stack, values: dict[str, str]) -> int:
    """The synthetic raw drops (datagen, seeded: the same bytes every time) as the ingestion DAGs
    land them: one parquet file per table under the raw bucket's landing/, every column a string
    as it arrives. Production data never comes here."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.csv as pacsv  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    out = s.layout.component("datagen")
    if not any(out.glob("*.csv")):
        done = subprocess.run(
            [sys.executable, "-m", "datagen.generate", str(out)],
            cwd=s.root / "pipelines",
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise UpFailed("datagen", done.stderr.strip()[-200:], "Fix pipelines/datagen")
    s3 = aws("s3", values["FINSIGHT_AWS_ACCOUNT_ID"])
    tables = sorted(out.glob("*.csv"))
    for csv_file in tables:
        header = csv_file.open().readline().strip().split(",")
        table = pacsv.read_csv(
            csv_file,
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True
            ),
        )
        parquet = out / f"{csv_file.stem}.parquet"
        pq.write_table(table, parquet)
        s3.upload_file(
            str(parquet), values["FINSIGHT_RAW_BUCKET"], f"landing/{csv_file.stem}/part-00000.parquet"
        )
    return len(tables)
