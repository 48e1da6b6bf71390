"""`parity validate batch --baseline REF --candidate REF [--only dbt|spark]`: both sides' dbt
models and Spark jobs on one masked sample, every relation and curated dataset compared; per
relation a match, or the differing keys with the columns' values side by side. Exit 1 when
anything differs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from parity.errors import FINDINGS, OK
from parity.findings import Finding
from parity.invariants import values_of
from parity.output import emit_json
from parity.rendering import render
from parity.validate import batch, batchdiff, logs

SHOWN = 20  # differing rows printed per relation (all of them are in --format json)


def findings(results: list[batchdiff.TableDiff], one_side: list[str]) -> list[Finding]:
    out = [Finding(r.split(" ")[0], "validate/relation", r, scope="batch") for r in one_side]
    for r in results:
        name = r.baseline.name
        out += [Finding(name, "validate/schema", problem, scope="batch") for problem in r.schema]
        if r.rows_baseline != r.rows_candidate:
            counts = f"{r.rows_baseline} rows in baseline, {r.rows_candidate} in candidate"
            out.append(Finding(name, "validate/row-count", counts, scope="batch"))
        out += [Finding(name, "validate/rows", f"{row.kind}: key {row.key}", scope="batch") for row in r.rows]
    return out


def _plain(value: Any) -> Any:
    """JSON's own types as they are; decimals, dates and timestamps as their exact text."""
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def _document(r: batchdiff.TableDiff) -> dict[str, Any]:
    return {
        "relation": r.baseline.name,
        "match": r.match,
        "rows": {"baseline": r.rows_baseline, "candidate": r.rows_candidate},
        "schema": r.schema,
        "differences": [
            {
                "key": [_plain(k) for k in d.key],
                "kind": d.kind,
                "columns": {c: [_plain(a), _plain(b)] for c, (a, b) in d.columns.items()},
            }
            for d in r.rows
        ],
        "truncated": r.truncated,
        "segments_differing": r.segments_differing,
        "levels": r.levels,
        "seconds": r.seconds,
    }


def _print(results: list[batchdiff.TableDiff], one_side: list[str]) -> None:
    for r in results:
        if r.match:
            print(f"{r.baseline.name}: match ({r.rows_baseline} rows)")
            continue
        print(
            f"{r.baseline.name}: DIFFERS "
            f"({r.rows_baseline} rows in baseline, {r.rows_candidate} in candidate)"
        )
        for problem in r.schema:
            print(f"  schema: {problem}")
        for d in r.rows[:SHOWN]:
            values = "; ".join(f"{c}: {a!r} -> {b!r}" for c, (a, b) in d.columns.items())
            print(f"  key {', '.join(map(str, d.key))}: {d.kind}: {values}")
        hidden = len(r.rows) - SHOWN
        if hidden > 0 or r.truncated:
            print(
                f"  ... {'more than ' if r.truncated else ''}{len(r.rows)} differing rows in all"
                " (--format json)"
            )
    for line in one_side:
        print(f"{line.split(' ')[0]}: DIFFERS ({line})")


def run(
    root: Path,
    env: str,
    baseline: str,
    candidate: str,
    sample: Path | None,
    only: str | None,
    output_format: str,
) -> int:
    settings = batch.load_settings(root)
    sides = (batch.resolve(root, baseline, "baseline"), batch.resolve(root, candidate, "candidate"))
    values = values_of(render(root, env, validate=False).resources)
    parts = frozenset({only}) if only else batch.PARTS
    with logs(root, "batch").scratch("validate-batch") as tmp:
        results, one_side, origin = batch.run(root, values, sides, sample, settings, tmp, parts)
    found = findings(results, one_side)
    if output_format == "json":
        emit_json(
            {
                "ok": not found,
                "baseline": {"ref": sides[0].ref, "sha": sides[0].sha},
                "candidate": {"ref": sides[1].ref, "sha": sides[1].sha},
                "sample": origin,
                "relations": [_document(r) for r in results],
                "one_side": one_side,
                "findings": [f.gate_dict() for f in found],
            }
        )
    else:
        _print(results, one_side)
        differing = sum(not r.match for r in results) + len(one_side)
        verdict = "no differences" if not found else f"{differing} relation(s) differ"
        print(
            f"parity validate batch {sides[0].sha[:12]} -> {sides[1].sha[:12]} on {origin}: "
            f"{len(results)} relation(s) compared, {verdict}"
        )
    return FINDINGS if found else OK
