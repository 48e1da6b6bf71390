"""Batched, idempotent S3 sink.

Events are buffered per partition and flushed as one JSON-lines object when a batch holds
`max_events` events or `max_bytes` bytes, or when its first event has waited `max_seconds`. The
object's key is its topic, partition and offset range:

    stream/<dataset>/topic=<topic>/partition=<p>/<first offset:020d>-<last offset:020d>.jsonl

PUTs run on one background thread, in submission order, while the consumer goes on decoding;
the consumer commits `last + 1` only after the PUT completed. A crash before the PUT loses just the buffer,
which Kafka delivers again (at-least-once). A crash between the PUT and the commit leaves an object
starting at the committed offset: on assignment the consumer resumes after the chain of such
objects (`resume`), so no offset is ever written twice, whatever the batch boundaries were.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
from platform_settings import PlatformSettings

RANGE = re.compile(r"(\d{20})-(\d{20})\.jsonl$")


@dataclass(frozen=True)
class Limits:
    max_events: int = 5000
    max_bytes: int = 8 << 20
    max_seconds: float = 2.0


@dataclass
class Batch:
    first: int
    started: float  # time.monotonic() of its first event
    last: int = -1
    size: int = 0
    lines: list[bytes] = field(default_factory=list)
    stamps: list[int] = field(default_factory=list)  # the messages' timestamps (ms), for lag


class BatchSink:
    def __init__(self, settings: PlatformSettings, dataset: str, topic: str, limits: Limits) -> None:
        self.bucket = settings.curated_bucket
        self.dataset = dataset
        self.topic = topic
        self.limits = limits
        self.client = boto3.client(
            "s3", region_name=settings.aws_region, endpoint_url=settings.s3_endpoint_url or None
        )
        self.batches: dict[int, Batch] = {}
        self.uploader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sink-put")
        self.lags_ms: list[int] = []
        self.objects = 0
        self.first_event: float | None = None  # time.time() of the first event and of the last PUT
        self.last_flush = 0.0

    def prefix(self, partition: int) -> str:
        return f"stream/{self.dataset}/topic={self.topic}/partition={partition}/"

    def key(self, partition: int, first: int, last: int) -> str:
        return f"{self.prefix(partition)}{first:020d}-{last:020d}.jsonl"

    def add(self, partition: int, offset: int, line: bytes | None, stamp_ms: int) -> None:
        """Account for one consumed offset; `line` is None for a message sent to the dead letters."""
        batch = self.batches.get(partition)
        if batch is None:
            batch = self.batches[partition] = Batch(first=offset, started=time.monotonic())
            self.first_event = self.first_event or time.time()
        batch.last = offset
        if line is not None:
            batch.lines.append(line)
            batch.stamps.append(stamp_ms)
            batch.size += len(line) + 1

    def due(self, now: float) -> list[int]:
        limits = self.limits
        return [
            p
            for p, b in self.batches.items()
            if len(b.lines) >= limits.max_events
            or b.size >= limits.max_bytes
            or now - b.started >= limits.max_seconds
        ]

    def pending(self) -> list[int]:
        return list(self.batches)

    def drop(self, partition: int) -> None:
        """Forget a revoked partition's buffer: uncommitted, so its next owner reads it again."""
        self.batches.pop(partition, None)

    def submit(self, partition: int) -> Future[int]:
        """Queue the PUT of one partition's batch (none when every message went to the dead
        letters); the future gives the offset to commit once the object is written."""
        return self.uploader.submit(self._put, partition, self.batches.pop(partition))

    def _put(self, partition: int, batch: Batch) -> int:
        if batch.lines:
            body = b"\n".join(batch.lines) + b"\n"
            key = self.key(partition, batch.first, batch.last)
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body)
            self.objects += 1
            done = int(time.time() * 1000)
            self.lags_ms.extend(done - stamp for stamp in batch.stamps)
            self.last_flush = time.time()
        return batch.last + 1

    def resume(self, partition: int, committed: int) -> int:
        """The offset after the chain of objects that start at `committed`: what a crash between a
        PUT and its commit left behind."""
        position, prefix = committed, self.prefix(partition)
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, StartAfter=f"{prefix}{committed:020d}"
        )
        for page in pages:
            for item in page.get("Contents", []):
                found = RANGE.search(item["Key"])
                if found is None or int(found[1]) != position:
                    return position
                position = int(found[2]) + 1
        return position

    def lag_percentile(self, fraction: float) -> int | None:
        if not self.lags_ms:
            return None
        ordered = sorted(self.lags_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def describe(sink: BatchSink) -> dict[str, Any]:
    """Objects written, end-to-end lag (a message's timestamp to its object's PUT), and when the
    first event was consumed and the last object written (epoch seconds)."""
    return {
        "objects": sink.objects,
        "lag_p50_ms": sink.lag_percentile(0.5),
        "lag_p99_ms": sink.lag_percentile(0.99),
        "first_event_at": sink.first_event,
        "last_put_at": sink.last_flush or None,
    }
