"""FinSight's PySpark jobs: parquet in the raw and curated buckets in, curated parquet out."""
