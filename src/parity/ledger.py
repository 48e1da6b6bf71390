"""Pure: the audit ledger's hash chain. Each entry carries its sequence number, the previous
entry's hash and its own hash over everything else; a head record (kept apart from the entries)
names the last committed entry, so a truncated tail is seen too.

What verify detects, and how:
- an edited entry: its hash no longer matches its content;
- a deleted, inserted or reordered entry: a sequence number out of order, or a `prev` that is
  not the hash of the entry before it;
- a truncated ledger: the chain ends before the head record's entry, or differs from it there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical({k: v for k, v in body.items() if k != "hash"})).hexdigest()


def seal(body: Mapping[str, Any], seq: int, prev: str) -> dict[str, Any]:
    """`body` as the entry that follows the one whose hash is `prev`."""
    entry = {**{k: v for k, v in body.items() if k not in ("seq", "prev", "hash")}, "seq": seq, "prev": prev}
    entry["hash"] = entry_hash(entry)
    return entry


def line(entry: Mapping[str, Any]) -> bytes:
    return canonical(entry) + b"\n"


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash}


@dataclass(frozen=True)
class Verdict:
    entries: int
    bad: int | None = None  # 1-based line (entry) number of the first bad entry
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.bad is None


def verify(lines: Sequence[bytes], head: Head | None) -> Verdict:
    """The chain in `lines` (one JSON entry each), judged against the head record."""
    prev = GENESIS
    for number, raw in enumerate(lines, start=1):
        try:
            entry = json.loads(raw)
        except ValueError:
            return Verdict(len(lines), number, "is not a JSON entry (torn or edited)")
        if not isinstance(entry, dict):
            return Verdict(len(lines), number, "is not a JSON object")
        if entry.get("seq") != number:
            return Verdict(
                len(lines),
                number,
                f"has sequence number {entry.get('seq')}, expected {number} (deleted, inserted or reordered)",
            )
        if entry.get("prev") != prev:
            return Verdict(
                len(lines), number, "does not follow the entry before it (deleted, inserted or reordered)"
            )
        if entry.get("hash") != entry_hash(entry):
            return Verdict(len(lines), number, "does not match its hash (edited)")
        prev = entry["hash"]
    if head is None:
        if lines:
            return Verdict(len(lines), len(lines), "has no head record to end at (the head was removed)")
        return Verdict(0)
    if len(lines) < head.seq:
        return Verdict(
            len(lines), len(lines) + 1, f"is missing: the head record names entry {head.seq} (truncated)"
        )
    at_head = json.loads(lines[head.seq - 1]) if head.seq else {"hash": GENESIS}
    if at_head["hash"] != head.hash:
        return Verdict(len(lines), head.seq, "differs from the head record's entry (rewritten history)")
    if len(lines) > head.seq + 1:
        # One entry past the head is an append whose head update a crash interrupted; more is not.
        return Verdict(len(lines), head.seq + 2, "lies beyond the head record (appended outside parity)")
    return Verdict(len(lines))
