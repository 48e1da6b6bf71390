"""Aggregates over curated datasets, read by dbt sources and partner exports."""

from __future__ import annotations

from pyspark.sql import Window
from pyspark.sql import functions as F

from finsight_spark.lake import Lake


def _usd(lake: Lake, frame_currency: str = "currency", day: str = "dt") -> tuple:
    fx = lake.curated("fx_rates").select(
        F.col("rate_date").alias("_day"), F.col("currency").alias("_ccy"), "usd_rate"
    )
    return fx, (F.col(day) == F.col("_day")) & (F.col(frame_currency) == F.col("_ccy"))


def daily_balances(lake: Lake) -> None:
    tx = lake.curated("transactions").where("status = 'posted'")
    fx, on = _usd(lake)
    signed = F.when(F.col("direction") == "debit", -F.col("amount")).otherwise(F.col("amount")) * F.col(
        "usd_rate"
    )
    daily = (
        tx.join(fx, on, "left")
        .groupBy("account_id", "dt")
        .agg(F.round(F.sum(signed), 2).cast("decimal(18,2)").alias("net_change_usd"))
    )
    running = Window.partitionBy("account_id").orderBy("dt").rowsBetween(Window.unboundedPreceding, 0)
    lake.write_curated(
        daily.withColumn("balance_usd", F.sum("net_change_usd").over(running)), "daily_balances"
    )


def merchant_aggregates(lake: Lake) -> None:
    tx = lake.curated("transactions").where("status = 'posted'")
    fx, on = _usd(lake)
    out = (
        tx.join(fx, on, "left")
        .groupBy("merchant_id", "dt")
        .agg(
            F.count("*").alias("transaction_count"),
            F.round(F.sum(F.col("amount") * F.col("usd_rate")), 2).cast("decimal(18,2)").alias("volume_usd"),
        )
    )
    lake.write_curated(out, "merchant_aggregates")


def payment_failures(lake: Lake) -> None:
    out = (
        lake.curated("payments")
        .where("status = 'failed'")
        .groupBy("dt", "method", "failure_reason")
        .agg(F.count("*").alias("failures"), F.sum("amount").alias("failed_amount"))
    )
    lake.write_curated(out, "payment_failures")


def invoice_aging(lake: Lake) -> None:
    invoices = lake.curated("invoices").where("status = 'open'")
    days = F.greatest(F.datediff(F.lit(lake.as_of.isoformat()).cast("timestamp"), F.col("due_at")), F.lit(0))
    bucket = (
        F.when(days == 0, "current")
        .when(days <= 30, "1-30")
        .when(days <= 60, "31-60")
        .when(days <= 90, "61-90")
        .otherwise("90+")
    )
    out = invoices.select(
        "invoice_id", "customer_id", "due_at", days.alias("days_past_due"), bucket.alias("aging_bucket")
    )
    lake.write_curated(out, "invoice_aging")


def fraud_features(lake: Lake) -> None:
    tx = lake.curated("transactions")
    per_day = Window.partitionBy("account_id", "dt")
    out = (
        tx.withColumn("tx_per_day", F.count("*").over(per_day))
        .withColumn(
            "amount_zscore",
            (F.col("amount") - F.avg("amount").over(per_day))
            / F.coalesce(F.stddev("amount").over(per_day), F.lit(1.0)),
        )
        .select(
            "transaction_id",
            "account_id",
            "dt",
            "tx_per_day",
            "amount_zscore",
            (F.col("status") == "reversed").alias("is_reversed"),
        )
    )
    lake.write_curated(out, "fraud_features")


def customer_activity(lake: Lake) -> None:
    out = (
        lake.curated("events")
        .groupBy("customer_id", "dt")
        .agg(
            F.count("*").alias("event_count"),
            F.sum(F.when(F.col("event_type") == "login", 1).otherwise(0)).alias("login_count"),
        )
    )
    lake.write_curated(out, "customer_activity")


def revenue_daily(lake: Lake) -> None:
    invoices = lake.curated("invoices").where("status <> 'void'")
    out = invoices.groupBy("dt", "currency").agg(F.count("*").alias("invoice_count"))
    lake.write_curated(out, "revenue_daily")
