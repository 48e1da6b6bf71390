"""Where datasets live. Bucket names come from settings; how a bucket is addressed (s3a:// on
AWS, a file:// root locally) comes from settings.lake_uri_template. Jobs never build paths
themselves, so no job knows which environment it runs in."""

from __future__ import annotations

from datetime import date

from platform_settings import PlatformSettings
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F


class Lake:
    def __init__(self, spark: SparkSession, settings: PlatformSettings, as_of: date | None = None) -> None:
        self.spark = spark
        self.settings = settings
        # The run's logical date: Airflow passes `{{ ds }}`; jobs measure ages from it, never from
        # a date written into the code.
        self.as_of = as_of or date.today()

    def raw_path(self, dataset: str) -> str:
        return f"{self.settings.lake_uri(self.settings.raw_bucket)}/landing/{dataset}"

    def curated_path(self, dataset: str) -> str:
        return f"{self.settings.lake_uri(self.settings.curated_bucket)}/{dataset}"

    def raw(self, dataset: str) -> DataFrame:
        return self.spark.read.parquet(self.raw_path(dataset))

    def curated(self, dataset: str) -> DataFrame:
        return self.spark.read.parquet(self.curated_path(dataset))

    def write_curated(self, frame: DataFrame, dataset: str, partition_by: str | None = "dt") -> None:
        """Every curated dataset is written by day (`<dataset>/dt=<day>/`): the export DAGs copy
        one day's partition. A snapshot (no day column of its own) is stamped with the run's
        date and replaces only that day's partition, keeping earlier snapshots."""
        snapshot = partition_by == "dt" and "dt" not in frame.columns
        if snapshot:
            frame = frame.withColumn("dt", F.lit(self.as_of.isoformat()).cast("date"))
        writer = frame.write.mode("overwrite").option(
            "partitionOverwriteMode", "dynamic" if snapshot else "static"
        )
        if partition_by:
            writer = writer.partitionBy(partition_by)
        writer.parquet(self.curated_path(dataset))
