"""The 15 jobs by SparkApplication name. Each takes the Lake and writes one curated dataset."""

from __future__ import annotations

from collections.abc import Callable

from finsight_spark.jobs import aggregates, curation, streaming_batch
from finsight_spark.lake import Lake

JOBS: dict[str, Callable[[Lake], None]] = {
    **{f"curate-{name.replace('_', '-')}": curation.job(name) for name in curation.DATASETS},
    "daily-balances": aggregates.daily_balances,
    "merchant-aggregates": aggregates.merchant_aggregates,
    "payment-failures": aggregates.payment_failures,
    "invoice-aging": aggregates.invoice_aging,
    "fraud-features": aggregates.fraud_features,
    "customer-activity": aggregates.customer_activity,
    "revenue-daily": aggregates.revenue_daily,
    "events-from-kafka": streaming_batch.events_from_kafka,
}

# The curated dataset each job writes (what a run is checked against).
OUTPUTS: dict[str, str] = {
    **{f"curate-{name.replace('_', '-')}": name for name in curation.DATASETS},
    **{name: name.replace("-", "_") for name in JOBS if not name.startswith("curate-")},
    "events-from-kafka": "events_stream",
}
