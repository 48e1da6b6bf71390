"""Edge: the Snowflake stand-in as dev's warehouse is when a DAG starts: the synthetic raw tables
in RAW.LANDING (as ingestion lands them) and every model built over them once. A DAG's selector
builds only its own models and reads the rest (dbt_finance_marts reads the staging views, and its
relationships test reads dim_customers, which the customer DAG builds), so a warehouse holding
only raw tables fails DAGs that dev runs every day. The models are built by `dbt run` in the
locked dbt image, as a Job from the rendering's own `dbt-runner` template: the profile, the
service account and the Snowflake secret are the ones every dbt pod uses."""

from __future__ import annotations

import copy
import csv
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from parity.cluster import plan as p
from parity.cluster.context import Stack, UpFailed
from parity.stack import fakesnow_connection

JOB = "warehouse-models"


def connect() -> Any:
    return fakesnow_connection(p.FAKESNOW.host, p.FAKESNOW.port)


def seed(s: Stack, values: dict[str, str]) -> None:
    """The synthetic tables where dbt's sources read them (RAW database, schema landing)."""
    raw = values["FINSIGHT_SNOWFLAKE_RAW_DATABASE"]
    connection = connect()
    try:
        cursor = connection.cursor()
        for database in (raw, values["FINSIGHT_SNOWFLAKE_DATABASE"]):
            cursor.execute(f"create database if not exists {database}")
        land(cursor, raw, s.layout.component("datagen").glob("*.csv"))
    finally:
        connection.close()


def land(cursor: Any, raw: str, csv_files: Iterable[Path]) -> None:
    """CSV files as tables of `raw`.landing named for them, every column a string as ingestion
    lands it: staging's casts are what types them. A table already holding as many rows is left."""
    cursor.execute(f"create schema if not exists {raw}.landing")
    for csv_file in sorted(csv_files):
        with csv_file.open(newline="") as handle:
            rows = list(csv.reader(handle))
        # An empty field is a missing value (NULL), as dbt seeds and parquet drops carry it.
        header, body = rows[0], [[value or None for value in row] for row in rows[1:]]
        table = f"{raw}.landing.{csv_file.stem}"
        if _rows(cursor, table) == len(body):
            continue  # seeded by an earlier `up`: the generator is deterministic
        cursor.execute(f"create or replace table {table} ({', '.join(f'{c} varchar' for c in header)})")
        marks = ", ".join(["%s"] * len(header))
        for start in range(0, len(body), 2000):
            cursor.executemany(f"insert into {table} values ({marks})", body[start : start + 2000])  # noqa: S608


def _rows(cursor: Any, relation: str) -> int:
    try:
        cursor.execute(f"select count(*) from {relation}")  # noqa: S608 - our relation names
        return int(cursor.fetchone()[0])
    except Exception:  # the connector's errors for a missing relation vary
        return -1


def missing_models(s: Stack, values: dict[str, str]) -> list[str]:
    """The dbt models with no relation in the target schema yet."""
    target = f"{values['FINSIGHT_SNOWFLAKE_DATABASE']}.{values['FINSIGHT_SNOWFLAKE_SCHEMA']}"
    models = sorted(path.stem for path in (s.root / "pipelines/dbt/models").rglob("*.sql"))
    connection = connect()
    try:
        cursor = connection.cursor()
        return [model for model in models if _rows(cursor, f"{target}.{model}") < 0]
    finally:
        connection.close()


def models_job(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """The rendering's dbt-runner template, running `dbt run` of every model."""
    template = next(r for r in resources if r["kind"] == "Job" and r["metadata"]["name"] == "dbt-runner")
    job = copy.deepcopy(template)
    job["metadata"] = {
        "name": JOB,
        "namespace": template["metadata"].get("namespace", p.NAMESPACE),
        "labels": {**template["metadata"].get("labels", {}), "app.kubernetes.io/component": JOB},
    }
    job["spec"]["suspend"] = False
    job["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] = JOB
    (container,) = job["spec"]["template"]["spec"]["containers"]
    container["args"] = ["run", "--threads", "1"]  # fakesnow: one DuckDB connection (see gates.workloads)
    return job


def build_models(
    s: Stack, resources: list[dict[str, Any]], values: dict[str, str], timeout: float = 600
) -> str:
    """Run the Job unless every model is already there (an earlier `up`); its failure is `up`'s,
    with dbt's last error line."""
    missing = missing_models(s, values)
    if not missing:
        return "warehouse: every dbt model already built"
    s.kube.run("delete", "job", JOB, "-n", p.NAMESPACE, "--ignore-not-found", "--wait=true")
    s.kube.apply(json.dumps(models_job(resources)))
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        job = next((j for j in s.kube.items("jobs", p.NAMESPACE) if j["metadata"]["name"] == JOB), {})
        conditions = {c["type"]: c["status"] for c in job.get("status", {}).get("conditions", [])}
        if conditions.get("Complete") == "True":
            return (
                f"warehouse: {len(missing)} dbt models built by job {JOB} in {time.monotonic() - began:.0f}s"
            )
        if conditions.get("Failed") == "True":
            log = s.kube.run("logs", f"job/{JOB}", "-n", p.NAMESPACE, "--tail=40", check=False)
            errors = [line for line in log.splitlines() if "error" in line.lower()] or log.splitlines()
            raise UpFailed(
                f"job {JOB}",
                f"dbt run failed: {(errors or ['no log'])[-1].strip()[:240]}",
                f"See kubectl logs job/{JOB} -n {p.NAMESPACE}; fix the model and run parity up again",
            )
        time.sleep(3)
    raise UpFailed(f"job {JOB}", f"not finished after {timeout:.0f}s", f"See kubectl describe job/{JOB}")
