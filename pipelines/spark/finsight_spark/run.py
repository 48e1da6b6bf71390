"""Entry point of every SparkApplication: `run.py JOB [JOB ...] [--as-of DATE] [--report FILE]`.

--as-of is the run's logical date (Airflow passes `{{ ds }}`; default: today in UTC).

A SparkApplication runs one job. Local runs and tests pass several to share one session; with
--report, each job's outcome (rows written, seconds, error) is written as JSON and the exit
code is 1 if any job failed. Exit 2: unknown job or bad settings (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from datetime import UTC, date, datetime
from pathlib import Path

from platform_settings import load
from pyspark.sql import SparkSession

from finsight_spark.jobs import JOBS, OUTPUTS
from finsight_spark.lake import Lake


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="finsight-spark")
    # The job names are choices, so a manifest naming no job fails when its arguments are parsed
    # (parity check's container-command rule parses them the same way).
    parser.add_argument("jobs", nargs="+", choices=sorted(JOBS), metavar="JOB")
    parser.add_argument("--report", type=Path)
    parser.add_argument("--as-of", type=date.fromisoformat, default=datetime.now(UTC).date())
    args = parser.parse_args(argv)
    settings = load()
    builder = (
        SparkSession.builder.appName(f"finsight-{'+'.join(args.jobs)}")
        .config("spark.sql.shuffle.partitions", settings.spark_shuffle_partitions)
        .config("spark.sql.session.timeZone", "UTC")
    )
    for key, value in settings.spark_s3_options().items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    lake = Lake(spark, settings, args.as_of)
    report: dict[str, dict[str, object]] = {}
    try:
        for job in args.jobs:
            started = time.monotonic()
            try:
                JOBS[job](lake)
                rows = lake.curated(OUTPUTS[job]).count()
                report[job] = {"ok": True, "rows": rows, "seconds": round(time.monotonic() - started, 2)}
            except Exception as exc:  # reported per job; the process exit code says it failed
                if not args.report:
                    raise
                report[job] = {
                    "ok": False,
                    "error": f"{type(exc).__name__}: {exc}"[:2000],
                    "trace": traceback.format_exc()[-4000:],
                }
    finally:
        spark.stop()
    if args.report:
        args.report.write_text(json.dumps(report, indent=2))
    return 0 if all(r["ok"] for r in report.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
