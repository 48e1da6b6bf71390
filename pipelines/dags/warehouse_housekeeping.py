"""Nightly Snowflake housekeeping: drop expired throw-away schemas (ephemeral environments,
CI gate runs) and refresh warehouse usage for cost reporting.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag
from include.dag_factory import DBT_POD, pod
from platform_settings import load

settings = load()


@dag(
    schedule="0 23 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"owner": "team-data-platform", "retries": 1, "retry_delay": timedelta(minutes=15)},
    tags=["platform", "snowflake"],
    doc_md=__doc__,
)
def warehouse_housekeeping() -> None:
    drop_expired_schemas = pod(
        "drop_expired_schemas",
        settings.dbt_image,
        ["run-operation", "drop_expired_schemas", "--args", "{max_age_hours: 48}"],
        **DBT_POD,
    )
    refresh_usage = pod("refresh_usage", settings.dbt_image, ["build", "--select", "tag:cost"], **DBT_POD)
    drop_expired_schemas >> refresh_usage


warehouse_housekeeping()
