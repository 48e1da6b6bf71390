"""Weekly: refresh the masked sample that dev and ephemeral environments use.

One task per masking policy (pipelines/masking/SOURCE.yaml): `parity sample` in the dbt image
reads the raw table from the warehouse, keeps a seeded stratified sample and masks every column
as the policy says, with the HMAC key from Secrets Manager. Only that output leaves: one CSV per
source under masked-samples/DS/ in the curated bucket. A source sampled `within` another (its
foreign key) runs after that parent, whose sample it reads beside its own.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
import yaml
from airflow.sdk import DAG
from include.dag_factory import DBT_POD, pod
from platform_settings import load

settings = load()
POLICIES = Path(__file__).resolve().parent.parent / "masking"  # the repository's, and the image's
IN_IMAGE = "/opt/finsight/pipelines/masking"  # where the dbt image holds the same files
RAW_SCHEMA = "LANDING"  # pipelines/dbt/models/staging/__sources.yml, source raw
PARITY = ["python", "-m", "parity"]


def parents() -> dict[str, str | None]:
    """Each policy's source and the source it is sampled within (None for a root)."""
    found: dict[str, str | None] = {}
    for path in sorted(POLICIES.glob("*.yaml")):
        policy = yaml.safe_load(path.read_text())
        found[policy["source"]] = ((policy.get("sample") or {}).get("within") or {}).get("source")
    return found


with DAG(
    dag_id="masked_sample_refresh",
    schedule="0 3 * * 6",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=6),
    default_args={"owner": "team-data-platform", "retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["platform", "masking"],
    doc_md=__doc__,
) as masked_sample_refresh:
    within = parents()
    tasks = {
        source: pod(
            f"sample_{source}",
            settings.dbt_image,
            [
                "sample",
                "--policy",
                f"{IN_IMAGE}/{source}.yaml",
                "--in",
                f"table:{settings.snowflake_raw_database}.{RAW_SCHEMA}.{source.upper()}",
                "--out",
                f"s3://{settings.curated_bucket}/masked-samples/{{{{ ds }}}}/{source}.csv",
            ],
            cmds=PARITY,
            name=f"sample-{source.replace('_', '-')}",
            **DBT_POD,
        )
        for source in within
    }
    for source, parent in within.items():
        if parent is not None:
            tasks[parent] >> tasks[source]
