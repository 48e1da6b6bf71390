"""The Spark half of `parity validate batch`: each side's 15 jobs (its commit's pipelines/spark, run
in this checkout's locked Spark venv with the locked jars) on the same masked sample, each side
into a lake prefix of its own, then every curated dataset compared in DuckDB straight from the
parquet files (validate.batchdiff: checksums pushed down, bisect, row diff).

Jobs are the side's `k8s/base/sparkapplication-*.yaml`; keys are the `unique` columns its
`pipelines/spark/quality.yaml` gives each dataset; the run date is that file's `as_of`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from parity import loaders
from parity.gates import workloads
from parity.validate import batchdiff

TREE = ("pipelines/spark", "pipelines/common", "k8s/base")
QUALITY = Path("pipelines/spark/quality.yaml")


def jobs_of(tree: Path) -> list[str]:
    return sorted(
        p.stem.removeprefix("sparkapplication-") for p in (tree / "k8s/base").glob("sparkapplication-*.yaml")
    )


def spec_of(tree: Path) -> tuple[str, dict[str, tuple[str, ...]]]:
    """The run date and each dataset's key, from the side's quality spec."""
    document = loaders.Fields(loaders.load_yaml(tree, QUALITY) or {}, str(QUALITY))
    keys = {name: tuple(d.strings("unique", [])) for name, d in document.tables("datasets", {}).items()}
    return str(document.get("as_of", str)), keys


def run_side(root: Path, values: dict[str, str], tree: Path, sample: Path, work: Path, side: str) -> Path:
    """One side's jobs on the sample; returns its curated lake root. A failed job is an error."""
    as_of, _ = spec_of(tree)
    report, lake, _ = workloads.spark_jobs(
        root, values, jobs_of(tree), work, as_of, tree=tree, sample=sample, subject=f"validate batch ({side})"
    )
    failed = sorted(job for job, outcome in report.items() if not outcome.get("ok"))
    if failed:
        from parity.errors import ParityError

        first = str(report[failed[0]].get("error", "")).splitlines()[:1] or ["no error recorded"]
        raise ParityError(
            f"validate batch ({side})",
            f"Spark job(s) {', '.join(failed)} failed: {first[0]}",
            f"See {work}/spark.log",
        )
    return lake


class _Duck:
    def __init__(self) -> None:
        import duckdb

        self.con = duckdb.connect()

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return list(self.con.execute(sql).fetchall())


def compare(
    lakes: dict[str, Path],
    keys: dict[str, tuple[str, ...]],
    tolerance: float,
    ignore: dict[str, frozenset[str]],
) -> tuple[list[batchdiff.TableDiff], list[str]]:
    """Every dataset both lakes hold compared (`lakes`: baseline and candidate roots), and the
    datasets only one side wrote. Datasets are named `lake/<dataset>` beside the dbt relations."""
    engine = _Duck()
    found: dict[str, set[str]] = {}
    for side, lake in lakes.items():
        engine.query(f'create schema "spark_{side}"')
        found[side] = set()
        for directory in sorted(p for p in lake.iterdir() if p.is_dir() and any(p.rglob("*.parquet"))):
            files = str(directory / "**" / "*.parquet").replace("'", "''")
            engine.query(
                f'create view "spark_{side}"."lake/{directory.name}" as select * from '
                f"read_parquet('{files}', hive_partitioning = true, union_by_name = true)"
            )
            found[side].add(directory.name)
    both = sorted(found["baseline"] & found["candidate"])
    one_side = [
        f"lake/{name} only in {side}" for side in found for name in sorted(found[side]) if name not in both
    ]
    results = []
    for name in both:
        options = batchdiff.Options(
            key=keys.get(name, ()), ignore=ignore.get(name, frozenset()), tolerance=tolerance
        )
        baseline, candidate = (
            batchdiff.Table(f"spark_{side}", f"lake/{name}") for side in ("baseline", "candidate")
        )
        if not options.key:  # no unique columns declared: every column is the key
            every = tuple(c for c in batchdiff.columns(engine, baseline) if c not in options.ignore)
            options = batchdiff.Options(key=every, ignore=options.ignore, tolerance=tolerance)
        results.append(batchdiff.compare(engine, baseline, candidate, options))
    return results, one_side
