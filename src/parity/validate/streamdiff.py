"""Compare what two consumers wrote from the same replayed events (`parity validate stream`).

Each side's sink output is read as partitions of events in the order they were written. Events
are matched by their id field; a key field (the entity, e.g. customer_id) groups the events whose
relative order matters, since a key's events share one partition. Reported:

- changed: the same id with other contents, field by field (a dropped field shows as absent);
- missing / extra: ids only the baseline / only the candidate wrote;
- duplicated: ids one side wrote more often than the other;
- reordered: keys whose events (those both sides wrote) come in another order;
- unidentified: output events without the id field (so nothing else can be said of them).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from parity.findings import Finding

ABSENT = "<absent>"
SHOWN = 10  # ids shown per reordered key


@dataclass
class Outcome:
    """One side's run of one subject's consumer."""

    exit: int
    last_line: str
    events: list[dict[str, Any]]
    ordering_known: bool
    dead_letters: int
    committed: dict[int, int]  # partition -> committed offset (-1: none)


@dataclass(frozen=True)
class Changed:
    id: str
    fields: dict[str, tuple[Any, Any]]  # field -> (baseline, candidate); ABSENT where it is missing


@dataclass
class StreamDiff:
    subject: str
    events: dict[str, int]  # side -> events written
    changed: list[Changed] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    duplicated: dict[str, tuple[int, int]] = field(default_factory=dict)
    reordered: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    unidentified: dict[str, int] = field(default_factory=dict)
    ordering_known: bool = True

    @property
    def match(self) -> bool:
        return not (
            self.changed
            or self.missing
            or self.extra
            or self.duplicated
            or self.reordered
            or self.unidentified
        )


def _id(event: dict[str, Any], name: str) -> str | None:
    value = event.get(name)
    return None if value is None else str(value)


def _canonical(event: dict[str, Any]) -> str:
    return json.dumps(event, sort_keys=True, default=str)


def _field_changes(a: dict[str, Any], b: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {
        name: (a.get(name, ABSENT), b.get(name, ABSENT))
        for name in sorted(set(a) | set(b))
        if a.get(name, ABSENT) != b.get(name, ABSENT)
    }


def _sequences(events: list[dict[str, Any]], id_field: str, key_field: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for event in events:
        ident = _id(event, id_field)
        if ident is not None:
            out.setdefault(str(event.get(key_field)), []).append(ident)
    return out


def compare(
    subject: str,
    baseline: list[dict[str, Any]],
    candidate: list[dict[str, Any]],
    id_field: str,
    key_field: str,
    ordering_known: bool = True,
) -> StreamDiff:
    """`baseline` and `candidate`: each side's events in written order (partition by partition)."""
    diff = StreamDiff(
        subject, {"baseline": len(baseline), "candidate": len(candidate)}, ordering_known=ordering_known
    )
    sides = {"baseline": baseline, "candidate": candidate}
    counts = {name: Counter(_id(e, id_field) for e in events) for name, events in sides.items()}
    for name, count in counts.items():
        if count.get(None):
            diff.unidentified[name] = count.pop(None)
    first = {name: {} for name in sides}  # type: dict[str, dict[str, dict[str, Any]]]
    for name, events in sides.items():
        for event in events:
            ident = _id(event, id_field)
            if ident is not None:
                first[name].setdefault(ident, event)
    a, b = first["baseline"], first["candidate"]
    diff.missing = sorted(set(a) - set(b))
    diff.extra = sorted(set(b) - set(a))
    for ident in sorted(set(a) & set(b)):
        if _canonical(a[ident]) != _canonical(b[ident]):
            diff.changed.append(Changed(ident, _field_changes(a[ident], b[ident])))
        if counts["baseline"][ident] != counts["candidate"][ident]:
            diff.duplicated[ident] = (counts["baseline"][ident], counts["candidate"][ident])
    if ordering_known:
        both = set(a) & set(b)
        before = _sequences(baseline, id_field, key_field)
        after = _sequences(candidate, id_field, key_field)
        for key in sorted(set(before) & set(after)):
            x = [i for i in before[key] if i in both]
            y = [i for i in after[key] if i in both]
            if x != y:
                diff.reordered[key] = (x, y)
    return diff


def _f(subject: str, rule: str, message: str) -> Finding:
    return Finding(subject, f"validate/{rule}", message, scope="stream")


def subject_findings(subject: str, diff: StreamDiff, sides: dict[str, Outcome]) -> list[Finding]:
    out = [_f(subject, "consumer", f"{n} exited {o.exit}: {o.last_line}") for n, o in sides.items() if o.exit]
    for change in diff.changed:
        fields = "; ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in change.fields.items())
        out.append(_f(subject, "stream-changed", f"id {change.id}: {fields}"))
    out += [_f(subject, "stream-missing", f"id {i} written by the baseline only") for i in diff.missing]
    out += [_f(subject, "stream-extra", f"id {i} written by the candidate only") for i in diff.extra]
    out += [
        _f(subject, "stream-duplicated", f"id {i} written {a} vs {b} time(s)")
        for i, (a, b) in diff.duplicated.items()
    ]
    for key, (a, b) in diff.reordered.items():
        out.append(
            _f(subject, "stream-order", f"key {key}: baseline order {a[:SHOWN]}, candidate {b[:SHOWN]}")
        )
    out += [
        _f(subject, "stream-unidentified", f"{n}: {c} event(s) without the id field")
        for n, c in diff.unidentified.items()
    ]
    base, cand = sides["baseline"], sides["candidate"]
    if base.dead_letters != cand.dead_letters:
        out.append(
            _f(subject, "dead-letters", f"baseline {base.dead_letters}, candidate {cand.dead_letters}")
        )
    if base.committed != cand.committed:
        out.append(
            _f(subject, "offsets", f"committed: baseline {base.committed}, candidate {cand.committed}")
        )
    return out
