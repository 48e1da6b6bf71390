"""The daily backbone: curate the raw lake with Spark, then build every mart with dbt.

Each step runs the locked image of its workload; values (buckets, warehouse) come from the
platform-values ConfigMap, so this file is identical in every environment.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, TaskGroup
from include.dag_factory import DBT_POD, pod
from include.spark_runs import SparkApplicationRunOperator
from platform_settings import load

settings = load()
CURATION_JOBS = [
    "curate-transactions",
    "curate-payments",
    "curate-invoices",
    "curate-accounts",
    "curate-customers",
    "curate-fx-rates",
    "curate-events",
]

with DAG(
    dag_id="daily_platform_pipeline",
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=8),
    default_args={"owner": "team-data-platform", "retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["platform", "spark", "dbt"],
    doc_md=__doc__,
) as daily_platform_pipeline:
    with TaskGroup("curate") as curate:
        for job in CURATION_JOBS:
            SparkApplicationRunOperator(
                task_id=job.replace("-", "_"),
                template_name=job,
                pool="spark",
            )
    dbt_build_marts = pod("dbt_build_marts", settings.dbt_image, ["build", "--select", "staging+"], **DBT_POD)
    curate >> dbt_build_marts
