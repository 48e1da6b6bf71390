"""Benchmark the batch diff (`parity validate batch`'s comparison) on two 10M-row DuckDB tables
that differ in 100 rows, against the peer measured in the same run on the same tables: reladiff
(PyPI; data-diff's maintained fork) with its hashdiff (segment checksums, the cross-database
algorithm) and its joindiff (one outer join, same database), and against `count(*)` as the floor.
Every tool must find exactly the 100 differing keys, or the run fails.

Target: at most 2 s, and at least 15x faster than reladiff hashdiff.

Usage: python -m benchmarks.bench_batch_diff [--rows 10000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from parity.validate import batchdiff

DIFFERING = 100


def _tables(path: Path, rows: int) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("create schema baseline; create schema candidate")
    con.execute(
        "create table baseline.fct as select i as id, (i * 7919) % 100000 as account_id, "
        "cast(round((i % 9973) * 1.37, 2) as decimal(18, 2)) as amount_usd, "
        "'c' || cast(i % 50 as varchar) as category, date '2026-01-01' + cast(i % 120 as integer) as dt "
        f"from range({rows}) r(i)"
    )
    con.execute("create table candidate.fct as select * from baseline.fct")
    step = rows // DIFFERING
    con.execute(f"update candidate.fct set amount_usd = amount_usd + 0.01 where id % {step} = 17")
    con.close()


def _timed(run: Callable[[], set[Any]], repeat: int) -> tuple[float, set[Any]]:
    seconds, found = [], set()
    for _ in range(repeat):
        started = time.perf_counter()
        found = run()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), found


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser()
    options.add_argument("--rows", type=int, default=10_000_000)
    options.add_argument("--repeat", type=int, default=3)
    args = options.parse_args(argv)
    import duckdb
    import reladiff  # type: ignore[import-untyped]

    with tempfile.TemporaryDirectory(prefix="parity-bench-diff-") as tmp:
        path = Path(tmp) / "outputs.duckdb"
        started = time.perf_counter()
        _tables(path, args.rows)
        print(
            f"two tables of {args.rows} rows, {DIFFERING} differing: "
            f"built in {time.perf_counter() - started:.1f}s"
        )
        expected = {i for i in range(args.rows) if i % (args.rows // DIFFERING) == 17}
        con = duckdb.connect(str(path))

        class Engine:
            def query(self, sql: str) -> list[tuple[Any, ...]]:
                return con.execute(sql).fetchall()

        def ours() -> set[Any]:
            result = batchdiff.compare(
                Engine(),
                batchdiff.Table("baseline", "fct"),
                batchdiff.Table("candidate", "fct"),
                batchdiff.Options(key=("id",)),
            )
            return {r.key[0] for r in result.rows}

        def floor() -> set[Any]:
            con.execute("select count(*) from baseline.fct").fetchall()
            con.execute("select count(*) from candidate.fct").fetchall()
            return expected

        def peer(algorithm: str) -> Callable[[], set[Any]]:
            def run() -> set[Any]:
                columns = ("account_id", "amount_usd", "category", "dt")
                a = reladiff.connect_to_table(f"duckdb://{path}", "baseline.fct", "id", extra_columns=columns)
                b = reladiff.connect_to_table(
                    f"duckdb://{path}", "candidate.fct", "id", extra_columns=columns
                )
                differ = reladiff.HashDiffer() if algorithm == "hashdiff" else reladiff.JoinDiffer()
                return {int(row[0]) for sign, row in differ.diff_tables(a, b) if sign == "-"}

            return run

        results = {}
        for name, run in (
            ("parity", ours),
            ("count(*) floor", floor),
            ("reladiff joindiff", peer("joindiff")),
            ("reladiff hashdiff", peer("hashdiff")),
        ):
            seconds, found = _timed(run, args.repeat)
            if found != expected:
                print(f"{name}: found {len(found)} differing keys, expected {len(expected)}")
                return 1
            results[name] = seconds
            print(f"{name}: median {seconds:.3f}s of {args.repeat} (found the {len(found)} differing keys)")
        ours_s = results["parity"]
        for name in ("reladiff hashdiff", "reladiff joindiff"):
            print(f"parity vs {name}: {results[name] / ours_s:.1f}x faster")
        print(f"parity vs count(*) floor: {ours_s / results['count(*) floor']:.0f}x the floor")
        ok = ours_s <= 2.0 and results["reladiff hashdiff"] / ours_s >= 15
        print(f"target (<= 2 s, >= 15x hashdiff): {'met' if ok else 'NOT met'}")
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
