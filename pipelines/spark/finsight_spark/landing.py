"""Local stand-in for ingestion: land generated CSVs (datagen) as raw parquet drops.

Usage: python -m finsight_spark.landing CSV_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

from platform_settings import load
from pyspark.sql import SparkSession

from finsight_spark.jobs.curation import DATASETS
from finsight_spark.lake import Lake


def main(argv: list[str]) -> int:
    source = Path(argv[0]).resolve()
    settings = load()
    spark = SparkSession.builder.appName("finsight-landing").getOrCreate()
    lake = Lake(spark, settings)
    try:
        for dataset in DATASETS:
            frame = spark.read.option("header", True).csv(str(source / f"{dataset}.csv"))
            frame.write.mode("overwrite").parquet(lake.raw_path(dataset))
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
