"""Edge: run the workloads on the synthetic sample against the local stand-ins, for the gates.
dbt builds into a throw-away schema of the fakesnow server; the Spark jobs run in local mode
(spark venv, locked jars) on a local lake, the Kafka job against a real local broker.

Every subprocess writes its output to a log in the gate's scratch directory; `LogKeeper` copies
those logs under the evidence directory when the gate fails, so a failure can be diagnosed after
the scratch directory is gone.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from parity.devenv import locate, venv_bin
from parity.errors import ParityError
from parity.stack import fakesnow_connection, stand_in_env, start_fakesnow, start_kafka

PIPELINES = Path("pipelines")
PROBES = Path(__file__).resolve().parent / "probes"
KEPT = ("*.log", "*.properties", "run_results.json", "spark-report.json")


class LogKeeper:
    """Keeps a failed gate's logs in `directory` (under the evidence directory) and names them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.kept: list[Path] = []

    def keep_output(self, name: str, done: subprocess.CompletedProcess[str]) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{name}.log"
        path.write_text(
            f"$ {' '.join(map(str, done.args))}\nexit {done.returncode}\n{done.stdout}\n{done.stderr}"
        )
        self.kept.append(path)
        return path

    def keep_tree(self, scratch: Path) -> Path:
        for pattern in KEPT:
            for path in scratch.rglob(pattern):
                target = self.directory / path.relative_to(scratch)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                self.kept.append(target)
        return self.directory

    @contextmanager
    def scratch(self, name: str) -> Iterator[Path]:
        """A temporary work directory; on any failure inside it, its logs are kept first and the
        error's mentions of the temporary paths are made to name the kept copies."""
        with tempfile.TemporaryDirectory(prefix=f"parity-{name}-") as tmp:
            try:
                yield Path(tmp)
            except ParityError as exc:
                kept = self.keep_tree(Path(tmp))
                raise type(exc)(
                    exc.subject, exc.problem.replace(tmp, str(kept)), exc.remedy.replace(tmp, str(kept))
                ) from None
            except BaseException:
                self.keep_tree(Path(tmp))
                raise


def generate(root: Path, out: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "datagen.generate", out], cwd=root / PIPELINES, check=True, capture_output=True
    )


def workload_env(values: dict[str, str], **extra: str) -> dict[str, str]:
    """A workload process's environment: the platform values and nothing else of ours (no .pyc
    written into the work tree, no mounted secrets dir locally)."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR", "JAVA_HOME"}}
    return {**keep, **values, "FINSIGHT_SECRETS_DIR": "/nonexistent", "PYTHONDONTWRITEBYTECODE": "1", **extra}


def logged(command: list[Any], log: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a workload step with its output in `log` (kept if the gate fails)."""
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    with log.open("a") as handle:
        handle.write(
            f"$ {' '.join(map(str, command))}\nexit {done.returncode}\n{done.stdout}\n{done.stderr}\n"
        )
    return done


def last_line(done: subprocess.CompletedProcess[str]) -> str:
    return ((done.stdout.strip() or done.stderr.strip()).splitlines() or ["no output"])[-1][:300]


def dbt_build(
    root: Path, values: dict[str, str], work: Path, cancel: threading.Event | None = None
) -> dict[str, Any]:
    """`dbt deps`, `dbt seed`, then `dbt build`: its own run_results.json, never an older step's.
    dbt exits 0 (all passed), 1 (models or tests failed: reported per node) or 2 (it could not
    run); a non-zero exit with no failing node is itself a failure. `cancel` set stops it before
    its next step (the gate failed elsewhere: its results would be thrown away)."""
    service = start_fakesnow(locate(root), work / "fakesnow")
    try:
        for part in ("dbt", "dbt_packages_vendor"):
            shutil.copytree(
                root / PIPELINES / part,
                work / part,
                ignore=shutil.ignore_patterns("target", "dbt_packages", "logs", "*.csv"),
            )
        project = work / "dbt"
        generate(root, project / "seeds")
        host, port = service.address.split(":")
        schema = f"PARITY_GATE_{uuid.uuid4().hex[:8].upper()}"  # throw-away: nothing else writes here
        connection = fakesnow_connection(host, int(port))
        for database in (values["FINSIGHT_SNOWFLAKE_DATABASE"], values["FINSIGHT_SNOWFLAKE_RAW_DATABASE"]):
            connection.cursor().execute(f"create database if not exists {database}")
        connection.close()
        env = workload_env(
            values,
            FINSIGHT_SNOWFLAKE_HOST=host,
            FINSIGHT_SNOWFLAKE_PORT=port,
            FINSIGHT_SNOWFLAKE_PROTOCOL="http",
            FINSIGHT_SNOWFLAKE_SCHEMA=schema,
            # parity: allow secret -- fakesnow ignores credentials; this placeholder is no secret
            DBT_ENV_SECRET_SNOWFLAKE_PASSWORD="unused-by-fakesnow",  # noqa: S106
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        )
        dbt = venv_bin(root, "dbt", "dbt")
        results_file = project / "target" / "run_results.json"
        # One thread: fakesnow serves every session from one DuckDB connection, which refuses a
        # second concurrent call ("connection is busy"); the connector then retries with backoff,
        # which under a loaded machine turned a 2-minute gate into a 15-minute one.
        one = ["--threads", "1"]
        for args in (["deps"], ["seed", *one], ["build", "--exclude", "resource_type:seed", *one]):
            if cancel is not None and cancel.is_set():
                stopped = f"dbt stopped before `dbt {args[0]}`"
                raise ParityError("gate quality", stopped, "See the error of the Spark side")
            results_file.unlink(missing_ok=True)
            done = logged(
                [dbt, *args, "--profiles-dir", project, "--project-dir", project],
                work / "dbt.log",
                cwd=project,
                env=env,
                timeout=1800,
            )
            if done.returncode != 0 and (args[0] != "build" or done.returncode != 1):
                raise ParityError(
                    "gate quality",
                    f"dbt {args[0]} exited {done.returncode}: {last_line(done)}",
                    f"See {work / 'dbt.log'}",
                )
        if not results_file.is_file():
            raise ParityError(
                "gate quality", "dbt build wrote no run_results.json", f"See {work / 'dbt.log'}"
            )
        results = [
            {"unique_id": r["unique_id"], "status": r["status"], "message": (r.get("message") or "")[:300]}
            for r in json.loads(results_file.read_text())["results"]
        ]
        if done.returncode != 0 and all(r["status"] in {"success", "pass"} for r in results):
            results.append(
                {"unique_id": "dbt build", "status": "error", "message": f"exited 1: {last_line(done)}"}
            )
    finally:
        service.stop()
    return {"schema": schema, "results": results}


def produce_events(address: str, topic: str, events_csv: Path) -> int:
    """The generated events, as the producers upstream send them (JSON), into a new topic."""
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

    admin = AdminClient({"bootstrap.servers": address})
    admin.create_topics([NewTopic(topic, 3, 1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": address})
    with events_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        event = {
            **row,
            "customer_id": int(row["customer_id"]),
            "payload_size": int(row["payload_size"]),
            "occurred_at": row["occurred_at"].replace(" ", "T") + "Z",
        }
        producer.produce(topic, key=row["event_id"].encode(), value=json.dumps(event).encode())
    unsent = producer.flush(60)
    if unsent:  # the Kafka job would then read fewer events than the sample holds
        raise ParityError(
            "gate quality", f"{unsent} of {len(rows)} event(s) not delivered to {topic}", "See the broker log"
        )
    return len(rows)


def spark_jobs(
    root: Path,
    values: dict[str, str],
    jobs: list[str],
    work: Path,
    as_of: str,
    tree: Path | None = None,
    sample: Path | None = None,
    subject: str = "gate quality",
) -> tuple[dict[str, Any], Path, int]:
    """Run the jobs on the landed sample for the run date `as_of`; returns the run report, the
    curated lake root and how many events went into the broker for the Kafka job. The jobs' code
    is `tree`'s pipelines (default: this checkout's), the sample `sample`'s CSVs (default: the
    synthetic sources, generated into `work`)."""
    code, csv = tree or root, sample or work / "csv"
    if sample is None:
        generate(root, csv)
    kafka = start_kafka(locate(root), work / "kafka")
    try:
        produced = produce_events(kafka.address, values["FINSIGHT_EVENTS_TOPIC"], csv / "events.csv")
        jars = ",".join(str(p) for p in sorted((locate(root) / "jars" / "spark").glob("*.jar")))
        env = workload_env(
            values,
            FINSIGHT_LAKE_URI_TEMPLATE=f"file://{work}/lake/{{bucket}}",
            **stand_in_env(kafka.address),
            PYTHONPATH=f"{code}/pipelines/common:{code}/pipelines/spark",
            PYSPARK_SUBMIT_ARGS=f"--jars {jars} --conf spark.ui.enabled=false "
            "--conf spark.ui.showConsoleProgress=false pyspark-shell",
        )
        python = venv_bin(root, "spark", "python")
        log = work / "spark.log"
        landing = logged([python, "-m", "finsight_spark.landing", csv], log, env=env, timeout=1800)
        if landing.returncode != 0:
            raise ParityError(subject, f"landing the sample failed: {last_line(landing)}", f"See {log}")
        report = work / "spark-report.json"
        started = time.monotonic()
        done = logged(
            [python, "-m", "finsight_spark.run", *jobs, "--as-of", as_of, "--report", report],
            log,
            env=env,
            timeout=3600,
        )
        if not report.exists():
            raise ParityError(
                subject,
                f"the Spark jobs wrote no report (exit {done.returncode}, {time.monotonic() - started:.0f}s)",
                f"See {log}",
            )
        outcome: dict[str, Any] = json.loads(report.read_text())
        if done.returncode != 0 and all(o.get("ok") for o in outcome.values()):
            raise ParityError(subject, f"the Spark run exited {done.returncode}", f"See {log}")
    finally:
        kafka.stop()
    return outcome, work / "lake" / values["FINSIGHT_CURATED_BUCKET"], produced


def read_curated(lake: Path) -> dict[str, dict[str, list[Any]]]:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # pyarrow ships no stubs

    return {
        directory.name: pq.read_table(directory).to_pydict()
        for directory in sorted(lake.iterdir())
        if directory.is_dir()
    }


def curated_schemas(lake: Path) -> dict[str, dict[str, str]]:
    """Column -> Arrow type of what each job wrote: its parquet files' schema, plus hive partition
    directories (`dt=2026-01-31`), which hold dates."""
    import pyarrow.parquet as pq

    out: dict[str, dict[str, str]] = {}
    for directory in sorted(p for p in lake.iterdir() if p.is_dir()):
        files = sorted(directory.rglob("*.parquet"))
        if not files:
            continue
        schema = pq.read_schema(files[0])
        columns = {field.name: str(field.type) for field in schema}
        for part in files[0].relative_to(directory).parts[:-1]:
            key, _, value = part.partition("=")
            if key and value:
                columns[key] = "date32" if len(value) == 10 and value[4] == "-" else "string"
        out[directory.name] = columns
    return out
