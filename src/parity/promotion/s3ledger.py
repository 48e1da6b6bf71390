"""Edge: the ledger in S3 with Object Lock in compliance mode: one object per entry
(`<prefix>entries/<seq>.json`), each created only if absent (`If-None-Match: *`, so two writers
never take one sequence number: the loser re-reads the tail and tries again) and locked until its
retention date, so no one (root included) can rewrite or delete it before then.

What compliance mode cannot stop is also detected: a new version written over an entry (an edit)
or a delete marker hiding one (a deletion or truncation) shows in the bucket's version listing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from parity import ledger
from parity.errors import BadInput
from parity.ledger import GENESIS, Head, Verdict

RETENTION_DAYS = 2557  # seven years: SOX record keeping


def parse_url(url: str) -> tuple[str, str]:
    if not url.startswith("s3://") or not url[5:].split("/", 1)[0]:
        raise BadInput(
            url,
            "is not an s3://BUCKET/PREFIX ledger address",
            "Set ledger.url in parity.toml or $PARITY_LEDGER",
        )
    bucket, _, prefix = url[5:].partition("/")
    return bucket, (prefix.rstrip("/") + "/") if prefix else ""


class S3Ledger:
    def __init__(self, url: str, client: Any = None, retention_days: int = RETENTION_DAYS) -> None:
        import boto3  # type: ignore[import-untyped]

        self.bucket, self.prefix = parse_url(url)
        self.path = url
        self.client = client or boto3.session.Session().client("s3")
        self.retention = timedelta(days=retention_days)

    def _key(self, seq: int) -> str:
        return f"{self.prefix}entries/{seq:012d}.json"

    def _keys(self) -> list[str]:
        keys: list[str] = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}entries/"
        )
        for page in pages:
            keys += [item["Key"] for item in page.get("Contents", [])]
        return sorted(keys)

    def _read(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read().rstrip(b"\n"))

    def lines(self) -> list[bytes]:
        return [self._read(key) for key in self._keys()]

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in self.lines()]

    def append(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._append(lambda _: body, parse=False)

    def append_if(self, make: Callable[[list[dict[str, Any]]], Mapping[str, Any]]) -> dict[str, Any]:
        return self._append(make, parse=True)

    def _append(
        self, make: Callable[[list[dict[str, Any]]], Mapping[str, Any]], parse: bool
    ) -> dict[str, Any]:
        """Seal onto the tail and create the next key only if absent. A plain append reads only
        the last entry; a checked one reads them all, since its check needs them."""
        from botocore.exceptions import ClientError  # type: ignore[import-untyped]

        for attempt in range(200):
            keys = self._keys()
            entries = [json.loads(self._read(key)) for key in keys] if parse else []
            last = entries[-1] if entries else json.loads(self._read(keys[-1])) if keys else None
            seq, prev = (int(last["seq"]), str(last["hash"])) if last else (0, GENESIS)
            entry = ledger.seal(make(entries), seq + 1, prev)
            try:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=self._key(entry["seq"]),
                    Body=ledger.line(entry),
                    IfNoneMatch="*",
                    ObjectLockMode="COMPLIANCE",
                    ObjectLockRetainUntilDate=datetime.now(UTC) + self.retention,
                    ContentType="application/json",
                )
                return entry
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code not in ("PreconditionFailed", "ConditionalRequestConflict"):
                    raise
                time.sleep(min(0.5, 0.01 * (attempt + 1)))  # another writer took seq + 1: re-read
        raise BadInput(self.path, "stayed contended for 200 attempts", "Retry; check for a runaway writer")

    def verdict(self) -> Verdict:
        versions: dict[str, int] = {}
        hidden: list[str] = []
        pages = self.client.get_paginator("list_object_versions").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}entries/"
        )
        for page in pages:
            for version in page.get("Versions", []):
                versions[version["Key"]] = versions.get(version["Key"], 0) + 1
            hidden += [marker["Key"] for marker in page.get("DeleteMarkers", [])]
        lines = self.lines()
        if hidden:
            first = min(_number(k) for k in hidden)
            return Verdict(len(lines), first, "was deleted (a delete marker hides it)")
        rewritten = sorted(_number(k) for k, n in versions.items() if n > 1)
        if rewritten:
            return Verdict(
                len(lines), rewritten[0], "was written over (the bucket holds another version of it)"
            )
        last = json.loads(lines[-1]) if lines else None
        return ledger.verify(lines, Head(last["seq"], last["hash"]) if last else None)


def _number(key: str) -> int:
    return int(key.rsplit("/", 1)[1].split(".")[0])


def make_bucket(client: Any, bucket: str) -> None:
    """A bucket for the ledger: Object Lock on (which turns versioning on)."""
    client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
