"""Sunday compaction of the curated lake: rewrite the week's small parquet files of the busiest
datasets into fewer, larger ones (reads faster for Snowflake external tables and Spark).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG
from include.spark_runs import SparkApplicationRunOperator

BUSIEST = ["daily-balances", "merchant-aggregates", "revenue-daily"]

with DAG(
    dag_id="lake_compaction",
    schedule="0 4 * * 0",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"owner": "team-data-platform", "retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["platform", "spark"],
    doc_md=__doc__,
) as lake_compaction:
    previous = None
    for job in BUSIEST:
        step = SparkApplicationRunOperator(
            task_id=f"compact_{job.replace('-', '_')}",
            template_name=job,
            pool="spark",
        )
        if previous is not None:
            previous >> step
        previous = step
