"""Month-end close: once every bank and ERP feed of the month has landed, build the close marts,
reconcile them, and hand the close pack to the auditor's export bucket.

Owner: finance data. A failed reconciliation stops the export; finance signs off in the morning.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.providers.amazon.aws.operators.s3 import S3CopyObjectOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import dag, task_group
from include.dag_factory import DBT_POD, pod
from platform_settings import load

settings = load()


def dbt_pod(task_id: str, *arguments: str) -> Any:
    return pod(task_id, settings.dbt_image, list(arguments), **DBT_POD)


@dag(
    schedule="0 7 1 * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "team-finance-data", "retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["finance", "close"],
    doc_md=__doc__,
)
def finance_month_end_close() -> None:
    start = EmptyOperator(task_id="start")

    @task_group
    def build_close() -> None:
        ledger = dbt_pod("ledger", "build", "--select", "int_ledger_entries+", "--exclude", "tag:kpi")
        revenue = dbt_pod("revenue", "build", "--select", "fct_revenue_daily+")
        ar = dbt_pod("ar_aging", "build", "--select", "fct_ar_aging+")
        ledger >> [revenue, ar]

    reconcile = dbt_pod("reconcile", "test", "--select", "tag:recon")
    export_close_pack = S3CopyObjectOperator(
        task_id="export_close_pack",
        source_bucket_name=settings.curated_bucket,
        source_bucket_key="close_pack/month={{ data_interval_start | ds }}/close_pack.parquet",
        dest_bucket_name=settings.export_bucket,
        dest_bucket_key="auditor_pwc/close_pack/{{ data_interval_start | ds }}.parquet",
    )
    start >> build_close() >> reconcile >> export_close_pack


finance_month_end_close()
