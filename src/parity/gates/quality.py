"""The quality gate: `dbt build` (models and tests) on the synthetic sample in a throw-away schema,
every Spark job on the sample, then the declarative checks of pipelines/spark/quality.yaml on what
the jobs wrote and the dbt source `curated` against the schemas they really wrote.

The checks are pure over column data ({dataset: {column: [values]}}): row counts within bounds,
freshness, null rate, uniqueness, accepted values, referential integrity. The spec is loaded (and
its shape checked) before any workload runs.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from parity import loaders
from parity.findings import Finding
from parity.gates import sources, workloads
from parity.gates.workloads import LogKeeper

QUALITY_SPEC = Path("pipelines/spark/quality.yaml")
Table = Mapping[str, Sequence[Any]]


@dataclass(frozen=True)
class Rules:
    rows_min: float = 0
    rows_max: float = float("inf")
    unique: tuple[str, ...] = ()
    max_null_rate: Mapping[str, float] = field(default_factory=dict)
    accepted_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    references: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # column -> (dataset, column)
    freshness: tuple[str, int] | None = None  # (column, max_age_days)


@dataclass(frozen=True)
class Spec:
    as_of: date
    datasets: Mapping[str, Rules]


def parse_spec(text: str, source: str = str(QUALITY_SPEC)) -> Spec:
    document = loaders.Fields(loaders.parse_yaml(text, source), source, text)
    as_of_text = str(document.get("as_of", (str, date)))
    try:
        as_of = date.fromisoformat(as_of_text)
    except ValueError:
        raise document.error("as_of", f"is {as_of_text!r}, not a date (YYYY-MM-DD)") from None
    datasets = {}
    for name, entry in document.tables("datasets").items():
        rows = entry.table("rows", {})
        nulls = entry.table("max_null_rate", {})
        accepted = entry.table("accepted_values", {})
        references = {}
        for column, target in entry.table("references", {}).data.items():
            table, dot, key = str(target).partition(".")
            if not dot or not table or not key:
                raise entry.error(
                    f"datasets.{name}.references.{column}", f"is {target!r}, not `dataset.column`"
                )
            references[str(column)] = (table, key)
        fresh = entry.table("freshness", None) if entry.data.get("freshness") is not None else None
        datasets[name] = Rules(
            rows_min=rows.get("min", (int, float), 0),
            rows_max=rows.get("max", (int, float), float("inf")),
            unique=tuple(entry.strings("unique", [])),
            max_null_rate={str(c): float(nulls.get(str(c), (int, float))) for c in nulls.data},
            accepted_values={str(c): tuple(map(str, accepted.get(str(c), list))) for c in accepted.data},
            references=references,
            freshness=(fresh.string("column"), fresh.get("max_age_days", int)) if fresh else None,
        )
    return Spec(as_of, datasets)


def load_spec(root: Path) -> Spec:
    return parse_spec(loaders.read_text(root / QUALITY_SPEC, str(QUALITY_SPEC)))


def check(spec: Spec, tables: Mapping[str, Table]) -> list[Finding]:
    out: list[Finding] = []

    def fail(subject: str, rule: str, message: str) -> None:
        out.append(Finding(subject, rule, message, scope="quality"))

    for dataset, rules in sorted(spec.datasets.items()):
        table = tables.get(dataset)
        if table is None:
            fail(dataset, "missing", "no output was written")
            continue
        named = [*rules.unique, *rules.max_null_rate, *rules.accepted_values, *rules.references]
        named += [rules.freshness[0]] if rules.freshness else []
        absent = sorted({c for c in named if c not in table})
        for column in absent:
            fail(
                f"{dataset}.{column}",
                "column-missing",
                f"{QUALITY_SPEC} checks it but the output has no such column",
            )
        rows = len(next(iter(table.values()), []))
        if not rules.rows_min <= rows <= rules.rows_max:
            fail(dataset, "row-count", f"{rows} rows, expected {rules.rows_min}..{rules.rows_max}")
        for column in (c for c in rules.unique if c not in absent):
            values = [v for v in table[column] if v is not None]
            if len(values) != len(set(values)):
                fail(f"{dataset}.{column}", "unique", f"{len(values) - len(set(values))} duplicate value(s)")
        for column, limit in rules.max_null_rate.items():
            rate = sum(v is None for v in table.get(column, [])) / rows if rows else 0.0
            if rate > limit:
                fail(f"{dataset}.{column}", "null-rate", f"{rate:.1%} nulls, at most {limit:.1%} allowed")
        for column, accepted in rules.accepted_values.items():
            unexpected = sorted({str(v) for v in table.get(column, []) if v is not None} - set(accepted))
            if unexpected:
                fail(f"{dataset}.{column}", "accepted-values", f"unexpected {', '.join(unexpected[:5])}")
        for column, (other, key) in rules.references.items():
            known = set(tables.get(other, {}).get(key, []))
            orphans = {v for v in table.get(column, []) if v is not None} - known
            if orphans:
                fail(
                    f"{dataset}.{column}",
                    "referential-integrity",
                    f"{len(orphans)} value(s) not in {other}.{key}",
                )
        if rules.freshness and rules.freshness[0] not in absent:
            column, max_age = rules.freshness
            newest = max((v for v in table[column] if v is not None), default=None)
            newest_day = newest.date() if isinstance(newest, datetime) else newest
            if newest_day is None or spec.as_of - newest_day > timedelta(days=max_age):
                fail(
                    f"{dataset}.{column}",
                    "freshness",
                    f"newest {newest_day}, older than {max_age} day(s) before {spec.as_of}",
                )
    return out


def gate(root: Path, values: dict[str, str], logs: LogKeeper) -> tuple[list[Finding], dict[str, Any]]:
    spec = load_spec(root)  # bad input fails before any workload runs
    curated = sources.curated_sources(root)
    jobs = sorted(
        p.stem.removeprefix("sparkapplication-") for p in (root / "k8s/base").glob("sparkapplication-*.yaml")
    )
    with logs.scratch("quality") as tmp:
        # dbt (fakesnow) and Spark (a JVM and the broker) share nothing: they run side by side.
        # When Spark cannot run (a broker that does not start), dbt stops at its next step: the
        # gate fails on Spark's error, and dbt's results would be thrown away.
        spark_failed = threading.Event()

        def spark() -> tuple[dict[str, Any], Path, int]:
            try:
                return workloads.spark_jobs(root, values, jobs, tmp / "spark", spec.as_of.isoformat())
            except BaseException:
                spark_failed.set()
                raise

        with ThreadPoolExecutor(max_workers=2) as pool:
            dbt_run = pool.submit(workloads.dbt_build, root, values, tmp / "dbt", spark_failed)
            spark_run = pool.submit(spark)
        report, lake, produced = spark_run.result()  # Spark's error first: it stopped dbt
        dbt = dbt_run.result()
        tables = workloads.read_curated(lake) if lake.is_dir() else {}
        written = workloads.curated_schemas(lake) if lake.is_dir() else {}
        findings = [
            Finding(r["unique_id"], f"dbt-{r['status']}", r["message"] or r["status"], scope="quality")
            for r in dbt["results"]
            if r["status"] not in {"success", "pass"}
        ]
        findings += [
            Finding(job, "spark-job-failed", str(outcome.get("error", ""))[:300], scope="quality")
            for job, outcome in sorted(report.items())
            if not outcome.get("ok")
        ]
        findings += check(spec, tables)
        findings += sources.check(curated, written)
        if findings:  # the run's logs explain the failures: keep them with the evidence
            logs.keep_tree(tmp)
    statuses = [r["status"] for r in dbt["results"]]
    return findings, {
        "dbt_schema": dbt["schema"],
        "dbt_models": sum(r["unique_id"].startswith("model.") for r in dbt["results"]),
        "dbt_tests": sum(r["unique_id"].startswith("test.") for r in dbt["results"]),
        "dbt_not_passing": sum(s not in {"success", "pass"} for s in statuses),
        "spark_jobs": len(report),
        "dbt_sources_checked_against_spark_outputs": len(curated),
        "spark_rows": {job: outcome.get("rows") for job, outcome in report.items()},
        "kafka_events_produced": produced,
        "datasets_checked": len(tables),
        "as_of": spec.as_of.isoformat(),
    }
