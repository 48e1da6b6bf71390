"""Weekly: refresh the masked sample that dev and ephemeral environments use. Only masked
columns ever leave this DAG's curated inputs (masking policy in pipelines/masking/).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.cncf.kubernetes.operators.spark_kubernetes import SparkKubernetesOperator
from airflow.sdk import DAG

with DAG(
    dag_id="masked_sample_refresh",
    schedule="0 3 * * 6",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"owner": "team-data-platform", "retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["platform", "masking"],
    doc_md=__doc__,
) as masked_sample_refresh:
    SparkKubernetesOperator(
        task_id="sample_customer_activity",
        application_file="/opt/airflow/spark-applications/customer-activity.yaml",
        delete_on_termination=True, pool="spark",
    )
