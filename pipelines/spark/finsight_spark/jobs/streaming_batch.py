"""Batch read of the events topic (spark-sql-kafka from lock/spark-jars.lock) into the lake."""

from __future__ import annotations

from pyspark.sql import functions as F
from pyspark.sql.types import IntegerType, LongType, StringType, StructField, StructType

from finsight_spark.lake import Lake

EVENT = StructType(
    [
        StructField("event_id", StringType()),
        StructField("customer_id", LongType()),
        StructField("event_type", StringType()),
        StructField("occurred_at", StringType()),
        StructField("payload_size", IntegerType()),
    ]
)


def events_from_kafka(lake: Lake) -> None:
    s = lake.settings
    raw = (
        lake.spark.read.format("kafka")
        .options(**s.kafka_spark_options())
        .option("subscribe", s.events_topic)
        .option("startingOffsets", "earliest")
        .option("endingOffsets", "latest")
        .load()
    )
    events = (
        raw.select(F.from_json(F.col("value").cast("string"), EVENT).alias("e"), "partition", "offset")
        .select("e.*", "partition", "offset")
        .where(F.col("event_id").isNotNull())
        .withColumn("occurred_at", F.to_timestamp("occurred_at"))
        .dropDuplicates(["event_id"])
        .withColumn("dt", F.to_date("occurred_at"))
    )
    lake.write_curated(events, "events_stream", partition_by="dt")
