"""Weekly: refresh the masked sample that dev and ephemeral environments use. Only masked
columns ever leave this DAG's curated inputs (masking policy in pipelines/masking/).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG
from include.spark_runs import SparkApplicationRunOperator

with DAG(
    dag_id="masked_sample_refresh",
    schedule="0 3 * * 6",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"owner": "team-data-platform", "retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["platform", "masking"],
    doc_md=__doc__,
) as masked_sample_refresh:
    SparkApplicationRunOperator(
        task_id="sample_customer_activity",
        template_name="customer-activity",
        pool="spark",
    )
