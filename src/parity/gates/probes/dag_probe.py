"""Run with the airflow venv: load a DAG folder as the dag-processor would and report per file.

Usage: python dag_probe.py DAGS_DIR
"""

from __future__ import annotations

import contextlib
import importlib
import json
import sys
import time
from pathlib import Path

# The dag-processor is a long-lived process: provider modules are imported once, not per file.
# Import them first so a file's parse time is its own, as it is in production.
WARM = [
    "airflow.sdk",
    "airflow.providers.cncf.kubernetes.operators.pod",
    "airflow.providers.amazon.aws.operators.s3",
    "airflow.providers.amazon.aws.sensors.s3",
    "airflow.providers.standard.operators.empty",
]
CONN_ATTRS = (
    "conn_id",
    "aws_conn_id",
    "kubernetes_conn_id",
    "snowflake_conn_id",
    "postgres_conn_id",
    "http_conn_id",
    "gcp_conn_id",
    "ssh_conn_id",
    "sftp_conn_id",
)


def main(folder: Path) -> dict:
    for module in WARM:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    from airflow.dag_processing.dagbag import DagBag

    # The parse budget is what a file costs: the CPU time of parsing it, which another process
    # holding the cores does not change (wall-clock durations under load would fail good files).
    cpu: dict[str, float] = {}
    process_file = DagBag.process_file

    def timed(self, filepath, *args, **kwargs):  # type: ignore[no-untyped-def]
        begun = time.process_time()
        try:
            return process_file(self, filepath, *args, **kwargs)
        finally:
            cpu[str(filepath)] = time.process_time() - begun

    DagBag.process_file = timed  # type: ignore[method-assign]
    started = time.monotonic()
    bag = DagBag(str(folder))
    files = {}
    for filepath, seconds in cpu.items():
        path = Path(filepath)
        files[path.relative_to(folder.resolve()).as_posix() if path.is_absolute() else filepath] = seconds
    dags = []
    for dag in bag.dags.values():
        args = dag.default_args or {}
        tasks = []
        for task in dag.tasks:
            conns = sorted({str(getattr(task, a)) for a in CONN_ATTRS if getattr(task, a, None)})
            tasks.append(
                {"task_id": task.task_id, "pool": task.pool, "connections": conns, "retries": task.retries}
            )
        dags.append(
            {
                "dag_id": dag.dag_id,
                "file": Path(dag.fileloc).relative_to(folder.resolve()).as_posix(),
                "owner": args.get("owner"),
                "retries": args.get("retries"),
                "tags": sorted(dag.tags or []),
                "catchup": bool(dag.catchup),
                "tasks": tasks,
            }
        )
    errors = {
        Path(k).relative_to(folder.resolve()).as_posix() if Path(k).is_absolute() else k: v
        for k, v in bag.import_errors.items()
    }
    return {
        "dags": dags,
        "import_errors": errors,
        "parse_seconds": files,
        "total_seconds": round(time.monotonic() - started, 3),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]).resolve())))
