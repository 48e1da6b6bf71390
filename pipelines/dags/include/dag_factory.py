"""Build DAGs from the YAML specs in dags/specs/: the team writes specs, not boilerplate.

Every DAG gets the same guard rails (owner, retries, tags, explicit schedule, catchup off,
doc_md); tasks come from a small set of kinds that all take their environment values from
`platform_settings`, never from the environment's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
import yaml
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG
from platform_settings import PlatformSettings, load

from include.s3_export import S3PartitionExportOperator
from include.spark_runs import SparkApplicationRunOperator

SPECS = Path(__file__).resolve().parent.parent / "specs"
START = pendulum.datetime(2026, 1, 1, tz="UTC")

TaskBuilder = Callable[[str, Mapping[str, Any], PlatformSettings], Any]


def _s3_sensor(task_id: str, spec: Mapping[str, Any], s: PlatformSettings) -> Any:
    return S3KeySensor(
        task_id=task_id,
        bucket_name=s.raw_bucket,
        bucket_key=f"{spec['prefix']}/{{{{ ds }}}}/_SUCCESS",
        mode="reschedule",
        poke_interval=300,
        timeout=spec.get("timeout_s", 6 * 3600),
    )


def pod(
    task_id: str,
    image: str,
    arguments: list[str],
    pool: str | None = None,
    cmds: list[str] | None = None,
    name: str | None = None,
    service_account: str | None = None,
    secrets_from: tuple[str, ...] = (),
) -> Any:
    """A task run as a pod of a workload image, with the environment's platform values.
    `arguments` follow the image's entrypoint; `cmds` replaces the entrypoint (another program
    of the same image), as a container's command does. `service_account` and `secrets_from`
    (Secrets the ExternalSecrets make) give the pod what the workload's own manifests give it."""
    return KubernetesPodOperator(
        task_id=task_id,
        name=name or task_id.replace("_", "-"),
        image=image,
        **({"cmds": cmds} if cmds else {}),
        arguments=arguments,
        env_from=[
            {"configMapRef": {"name": "platform-values"}},
            *({"secretRef": {"name": secret}} for secret in secrets_from),
        ],
        **({"service_account_name": service_account} if service_account else {}),
        get_logs=True,
        on_finish_action="delete_succeeded_pod",
        **({"pool": pool} if pool else {}),
    )


# dbt pods as k8s/base/job-dbt-runner.yaml runs dbt: its service account, the Snowflake password.
DBT_POD: dict[str, Any] = {
    "pool": "snowflake",
    "service_account": "dbt",
    "secrets_from": ("snowflake-credentials",),
}


def _load_raw(task_id: str, spec: Mapping[str, Any], s: PlatformSettings) -> Any:
    args = f"{{table: {spec['table']}, prefix: {spec['prefix']}, day: '{{{{ ds }}}}'}}"
    return pod(task_id, s.dbt_image, ["run-operation", "load_raw", "--args", args], **DBT_POD)


def _dbt(task_id: str, spec: Mapping[str, Any], s: PlatformSettings) -> Any:
    return pod(task_id, s.dbt_image, ["build", "--select", spec["select"]], **DBT_POD)


def _spark(task_id: str, spec: Mapping[str, Any], s: PlatformSettings) -> Any:
    return SparkApplicationRunOperator(task_id=task_id, template_name=spec["job"], pool="spark")


def _lag_check(task_id: str, spec: Mapping[str, Any], s: PlatformSettings) -> Any:
    return pod(
        task_id,
        s.streaming_image,
        ["--topic", getattr(s, spec["topic"]), "--max-lag", str(spec["max_lag"])],
        cmds=["python", "-m", "consumers.lag_check"],
        service_account="streaming",
    )


def _export(task_id: str, spec: Mapping[str, Any], s: PlatformSettings) -> Any:
    return S3PartitionExportOperator(
        task_id=task_id,
        source_bucket=s.curated_bucket,
        source_prefix=f"{spec['dataset']}/dt={{{{ ds }}}}",
        dest_bucket=s.export_bucket,
        dest_prefix=f"{spec['partner']}/{spec['dataset']}/{{{{ ds }}}}",
    )


def _done(task_id: str, spec: Mapping[str, Any], s: PlatformSettings) -> Any:
    return EmptyOperator(task_id=task_id)


KINDS: dict[str, TaskBuilder] = {
    "s3_sensor": _s3_sensor,
    "load_raw": _load_raw,
    "dbt": _dbt,
    "spark": _spark,
    "lag_check": _lag_check,
    "export": _export,
    "done": _done,
}


def build(spec: Mapping[str, Any], settings: PlatformSettings) -> DAG:
    with DAG(
        dag_id=spec["dag_id"],
        schedule=spec["schedule"],
        start_date=START,
        catchup=False,
        max_active_runs=1,
        dagrun_timeout=timedelta(hours=spec.get("timeout_h", 6)),
        default_args={
            "owner": spec["owner"],
            "retries": spec.get("retries", 2),
            "retry_delay": timedelta(minutes=5),
        },
        tags=sorted({spec["domain"], *spec.get("tags", [])}),
        doc_md=spec["doc"],
    ) as dag:
        tasks = {t["id"]: KINDS[t["kind"]](t["id"], t, settings) for t in spec["tasks"]}
        for t in spec["tasks"]:
            for upstream in t.get("after", []):
                tasks[upstream] >> tasks[t["id"]]
    return dag


def dags_from(spec_file: str) -> dict[str, DAG]:
    """All DAGs of one spec file, keyed by dag_id, for the caller's globals()."""
    settings = load()
    specs = yaml.safe_load((SPECS / spec_file).read_text())["dags"]
    return {spec["dag_id"]: build(spec, settings) for spec in specs}
