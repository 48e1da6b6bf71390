"""Nightly Snowflake housekeeping: drop expired throw-away schemas (ephemeral environments,
CI gate runs) and refresh warehouse usage for cost reporting.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.sdk import dag
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
    drop_expired_schemas = KubernetesPodOperator(
        task_id="drop_expired_schemas",
        name="drop-expired-schemas",
        image=settings.dbt_image,
        arguments=["run-operation", "drop_expired_schemas", "--args", "{max_age_hours: 48}"],
        env_from=[{"configMapRef": {"name": "platform-values"}}],
        pool="snowflake",
        get_logs=True,
        on_finish_action="delete_succeeded_pod",
    )
    refresh_usage = KubernetesPodOperator(
        task_id="refresh_usage",
        name="refresh-usage",
        image=settings.dbt_image,
        arguments=["build", "--select", "tag:cost"],
        env_from=[{"configMapRef": {"name": "platform-values"}}],
        pool="snowflake",
        get_logs=True,
        on_finish_action="delete_succeeded_pod",
    )
    drop_expired_schemas >> refresh_usage


warehouse_housekeeping()
