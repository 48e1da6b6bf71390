"""Copy one day's partition of a curated dataset to a partner's export prefix.

The Spark jobs write each dataset partitioned by day (`<dataset>/dt=<day>/part-*.parquet`, file
names chosen by Spark), so an export copies every part file of the day's partition rather than
guessing a file name. A day without files fails the task: the partner must never get nothing
silently.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.sdk import BaseOperator


class S3PartitionExportOperator(BaseOperator):
    template_fields = ("source_prefix", "dest_prefix")

    def __init__(
        self, *, source_bucket: str, source_prefix: str, dest_bucket: str, dest_prefix: str, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.source_bucket = source_bucket
        self.source_prefix = source_prefix
        self.dest_bucket = dest_bucket
        self.dest_prefix = dest_prefix

    def execute(self, context: Any) -> list[str]:
        hook = S3Hook()
        prefix = self.source_prefix.rstrip("/") + "/"
        keys = [k for k in hook.list_keys(self.source_bucket, prefix=prefix) or [] if k.endswith(".parquet")]
        if not keys:
            raise RuntimeError(
                f"s3://{self.source_bucket}/{prefix} holds no parquet files: nothing to export"
            )
        copied = []
        for key in sorted(keys):
            target = f"{self.dest_prefix.rstrip('/')}/{key.rpartition('/')[2]}"
            hook.copy_object(key, target, self.source_bucket, self.dest_bucket)
            copied.append(target)
        return copied
