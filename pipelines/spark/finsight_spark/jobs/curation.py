"""Curation: typed, de-duplicated, date-partitioned copies of the landed datasets."""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import Window
from pyspark.sql import functions as F

from finsight_spark.lake import Lake

# dataset -> (key, {column: type}, timestamp column that partitions it)
DATASETS: dict[str, tuple[str, dict[str, str], str]] = {
    "transactions": (
        "transaction_id",
        {
            "transaction_id": "bigint",
            "account_id": "bigint",
            "merchant_id": "bigint",
            "amount": "decimal(18,2)",
            "currency": "string",
            "direction": "string",
            "status": "string",
            "booked_at": "timestamp",
        },
        "booked_at",
    ),
    "payments": (
        "payment_id",
        {
            "payment_id": "bigint",
            "invoice_id": "bigint",
            "customer_id": "bigint",
            "amount": "decimal(18,2)",
            "currency": "string",
            "method": "string",
            "status": "string",
            "failure_reason": "string",
            "paid_at": "timestamp",
        },
        "paid_at",
    ),
    "invoices": (
        "invoice_id",
        {
            "invoice_id": "bigint",
            "customer_id": "bigint",
            "issued_at": "timestamp",
            "due_at": "timestamp",
            "currency": "string",
            "status": "string",
        },
        "issued_at",
    ),
    "accounts": (
        "account_id",
        {
            "account_id": "bigint",
            "customer_id": "bigint",
            "account_type": "string",
            "currency": "string",
            "status": "string",
            "opened_at": "timestamp",
        },
        "opened_at",
    ),
    "customers": (
        "customer_id",
        {
            "customer_id": "bigint",
            "company_name": "string",
            "country": "string",
            "segment": "string",
            "email": "string",
            "created_at": "timestamp",
        },
        "created_at",
    ),
    "fx_rates": (
        "rate_key",
        {"rate_date": "date", "currency": "string", "usd_rate": "decimal(18,6)"},
        "rate_date",
    ),
    "events": (
        "event_id",
        {
            "event_id": "string",
            "customer_id": "bigint",
            "event_type": "string",
            "occurred_at": "timestamp",
            "payload_size": "int",
        },
        "occurred_at",
    ),
}


def curate(lake: Lake, dataset: str) -> None:
    key, columns, ts_column = DATASETS[dataset]
    frame = lake.raw(dataset).select(*[F.col(c).cast(t).alias(c) for c, t in columns.items()])
    if key == "rate_key":
        frame = frame.withColumn(key, F.concat_ws("|", "rate_date", "currency"))
    # The latest landed copy of a row wins when a feed re-sends it.
    latest = Window.partitionBy(key).orderBy(F.col(ts_column).desc())
    frame = (
        frame.withColumn("_n", F.row_number().over(latest))
        .where("_n = 1")
        .drop("_n")
        .withColumn("dt", F.to_date(ts_column))
    )
    lake.write_curated(frame, dataset, partition_by="dt")


def job(dataset: str) -> Callable[[Lake], None]:
    def run(lake: Lake) -> None:
        curate(lake, dataset)

    run.__name__ = f"curate_{dataset}"
    return run
