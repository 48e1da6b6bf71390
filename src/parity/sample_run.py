"""Edge: run the workloads on the synthetic sample against the local stand-ins, for the quality
gate. dbt builds into a throw-away schema of the fakesnow server; the Spark jobs run in local mode
(spark venv, locked jars) on a local lake, the Kafka job against a real local broker."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from parity.errors import ParityError
from parity.kustomize import devenv
from parity.stack import start_fakesnow, start_kafka

PIPELINES = Path("pipelines")


def generate(root: Path, out: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "datagen.generate", out], cwd=root / PIPELINES, check=True, capture_output=True
    )


def workload_env(values: dict[str, str], **extra: str) -> dict[str, str]:
    """A workload process's environment: the platform values and nothing else of ours (no .pyc
    written into the work tree, no mounted secrets dir locally)."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR", "JAVA_HOME"}}
    return {**keep, **values, "FINSIGHT_SECRETS_DIR": "/nonexistent", "PYTHONDONTWRITEBYTECODE": "1", **extra}


def dbt_build(root: Path, values: dict[str, str], work: Path) -> dict[str, Any]:
    import snowflake.connector

    service = start_fakesnow(devenv(root), work / "fakesnow")
    try:
        for part in ("dbt", "dbt_packages_vendor"):
            shutil.copytree(
                root / PIPELINES / part,
                work / part,
                ignore=shutil.ignore_patterns("target", "dbt_packages", "logs", "*.csv"),
            )
        project = work / "dbt"
        generate(root, project / "seeds")
        host, port = service.address.split(":")
        schema = f"PARITY_GATE_{uuid.uuid4().hex[:8].upper()}"  # throw-away: nothing else writes here
        connection = snowflake.connector.connect(
            account="local",
            user="parity",
            # parity: allow secret -- fakesnow ignores credentials; this placeholder is no secret
            password="unused",  # noqa: S106
            host=host,
            port=int(port),
            protocol="http",
        )
        for database in (values["FINSIGHT_SNOWFLAKE_DATABASE"], values["FINSIGHT_SNOWFLAKE_RAW_DATABASE"]):
            connection.cursor().execute(f"create database if not exists {database}")
        connection.close()
        env = workload_env(
            values,
            FINSIGHT_SNOWFLAKE_HOST=host,
            FINSIGHT_SNOWFLAKE_PORT=port,
            FINSIGHT_SNOWFLAKE_PROTOCOL="http",
            FINSIGHT_SNOWFLAKE_SCHEMA=schema,
            # parity: allow secret -- fakesnow ignores credentials; this placeholder is no secret
            DBT_ENV_SECRET_SNOWFLAKE_PASSWORD="unused-by-fakesnow",  # noqa: S106
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        )
        dbt = devenv(root) / "venvs" / "dbt" / "bin" / "dbt"
        for args in (["deps"], ["seed"], ["build", "--exclude", "resource_type:seed"]):
            done = subprocess.run(
                [dbt, *args, "--profiles-dir", project, "--project-dir", project],
                cwd=project,
                capture_output=True,
                text=True,
                env=env,
                timeout=1800,
            )
            if done.returncode != 0 and args[0] != "build":
                tail = (done.stdout.strip().splitlines() or ["no output"])[-1]
                raise ParityError(
                    "gate quality", f"dbt {args[0]} failed: {tail}", "Run dbt locally to see why"
                )
        results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    finally:
        service.stop()
    return {
        "schema": schema,
        "results": [
            {"unique_id": r["unique_id"], "status": r["status"], "message": (r.get("message") or "")[:300]}
            for r in results
        ],
    }


def produce_events(address: str, topic: str, events_csv: Path) -> int:
    """The generated events, as the producers upstream send them (JSON), into a new topic."""
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

    admin = AdminClient({"bootstrap.servers": address})
    admin.create_topics([NewTopic(topic, 3, 1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": address})
    with events_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        event = {
            **row,
            "customer_id": int(row["customer_id"]),
            "payload_size": int(row["payload_size"]),
            "occurred_at": row["occurred_at"].replace(" ", "T") + "Z",
        }
        producer.produce(topic, key=row["event_id"].encode(), value=json.dumps(event).encode())
    producer.flush(60)
    return len(rows)


def spark_jobs(
    root: Path, values: dict[str, str], jobs: list[str], work: Path
) -> tuple[dict[str, Any], Path]:
    """Run the jobs on the landed sample; returns the run report and the curated lake root."""
    generate(root, work / "csv")
    kafka = start_kafka(devenv(root), work / "kafka")
    try:
        produce_events(kafka.address, values["FINSIGHT_EVENTS_TOPIC"], work / "csv" / "events.csv")
        jars = ",".join(str(p) for p in sorted((devenv(root) / "jars" / "spark").glob("*.jar")))
        env = workload_env(
            values,
            FINSIGHT_LAKE_URI_TEMPLATE=f"file://{work}/lake/{{bucket}}",
            FINSIGHT_KAFKA_BOOTSTRAP_SERVERS=kafka.address,
            FINSIGHT_KAFKA_SECURITY_PROTOCOL="PLAINTEXT",
            PYTHONPATH=f"{root}/pipelines/common:{root}/pipelines/spark",
            PYSPARK_SUBMIT_ARGS=f"--jars {jars} --conf spark.ui.enabled=false "
            "--conf spark.ui.showConsoleProgress=false pyspark-shell",
        )
        python = devenv(root) / "venvs" / "spark" / "bin" / "python"
        landing = subprocess.run(
            [python, "-m", "finsight_spark.landing", work / "csv"],
            capture_output=True,
            text=True,
            env=env,
            timeout=1800,
        )
        if landing.returncode != 0:
            raise ParityError("gate quality", "landing the sample failed", landing.stderr.strip()[-300:])
        report = work / "spark-report.json"
        subprocess.run(
            [python, "-m", "finsight_spark.run", *jobs, "--report", report],
            capture_output=True,
            text=True,
            env=env,
            timeout=3600,
        )
        if not report.exists():
            raise ParityError(
                "gate quality", "the Spark jobs wrote no report", "Run finsight_spark.run by hand"
            )
    finally:
        kafka.stop()
    return json.loads(report.read_text()), work / "lake" / values["FINSIGHT_CURATED_BUCKET"]


def read_curated(lake: Path) -> dict[str, dict[str, list[Any]]]:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # pyarrow ships no stubs

    return {
        directory.name: pq.read_table(directory).to_pydict()
        for directory in sorted(lake.iterdir())
        if directory.is_dir()
    }


def curated_schemas(lake: Path) -> dict[str, dict[str, str]]:
    """Column -> Arrow type of what each job wrote: its parquet files' schema, plus hive partition
    directories (`dt=2026-01-31`), which hold dates."""
    import pyarrow.parquet as pq

    out: dict[str, dict[str, str]] = {}
    for directory in sorted(p for p in lake.iterdir() if p.is_dir()):
        files = sorted(directory.rglob("*.parquet"))
        if not files:
            continue
        schema = pq.read_schema(files[0])
        columns = {field.name: str(field.type) for field in schema}
        for part in files[0].relative_to(directory).parts[:-1]:
            key, _, value = part.partition("=")
            if key and value:
                columns[key] = "date32" if len(value) == 10 and value[4] == "-" else "string"
        out[directory.name] = columns
    return out
