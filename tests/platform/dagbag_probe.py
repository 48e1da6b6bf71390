"""Run inside the airflow venv: load the DAG folder into a DagBag and print what the tests check.

Usage: python dagbag_probe.py DAGS_DIR   (prints one JSON document)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from airflow.dag_processing.dagbag import DagBag

started = time.monotonic()
folder = Path(sys.argv[1])
bag = DagBag(str(folder))
dags = []
for dag in bag.dags.values():
    args = dag.default_args or {}
    dags.append(
        {
            "dag_id": dag.dag_id,
            "file": Path(dag.fileloc).relative_to(folder).as_posix(),
            "owner": args.get("owner", ""),
            "retries": args.get("retries"),
            "tags": sorted(dag.tags or []),
            "schedule": str(getattr(dag.timetable, "description", "") or type(dag.timetable).__name__),
            "catchup": dag.catchup,
            "doc_md": dag.doc_md or "",
            "tasks": len(dag.tasks),
            # The pods its KubernetesPodOperator tasks launch: what a container would be given.
            "pods": [
                {
                    "task_id": task.task_id,
                    "image": task.image,
                    "cmds": list(task.cmds or []),
                    "arguments": list(task.arguments or []),
                    "upstream": sorted(task.upstream_task_ids),
                    "service_account": task.service_account_name,
                }
                for task in dag.tasks
                if hasattr(task, "image") and hasattr(task, "cmds")
            ],
        }
    )
print(
    json.dumps(
        {"dags": dags, "import_errors": bag.import_errors, "seconds": round(time.monotonic() - started, 2)}
    )
)
