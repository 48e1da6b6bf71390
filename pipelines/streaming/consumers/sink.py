"""Idempotent sink: each event becomes one S3 object whose key derives from its id, so a
redelivered message (at-least-once) overwrites the same object instead of duplicating it."""

from __future__ import annotations

import json
from typing import Any

import boto3
from platform_settings import PlatformSettings


class S3EventSink:
    def __init__(self, settings: PlatformSettings, dataset: str) -> None:
        self.bucket = settings.curated_bucket
        self.dataset = dataset
        self.client = boto3.client(
            "s3", region_name=settings.aws_region, endpoint_url=settings.s3_endpoint_url or None
        )

    def key(self, event_id: str, day: str) -> str:
        return f"stream/{self.dataset}/dt={day}/{event_id}.json"

    def write(self, event_id: str, day: str, event: dict[str, Any]) -> None:
        body = json.dumps(event, sort_keys=True, default=str).encode()
        self.client.put_object(Bucket=self.bucket, Key=self.key(event_id, day), Body=body)
