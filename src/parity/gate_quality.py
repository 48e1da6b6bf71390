"""Declarative data-quality checks on the Spark jobs' curated outputs (pipelines/spark/quality.yaml):
row counts within bounds, freshness, null rate, uniqueness, accepted values, referential
integrity. Pure over column data: {dataset: {column: [values]}}."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from parity.gate_dags import GateFinding

Table = Mapping[str, Sequence[Any]]


def _rows(table: Table) -> int:
    return len(next(iter(table.values()), []))


def check(spec: Mapping[str, Any], tables: Mapping[str, Table]) -> list[GateFinding]:
    as_of = date.fromisoformat(str(spec["as_of"]))
    out: list[GateFinding] = []

    def fail(dataset: str, rule: str, message: str) -> None:
        out.append(GateFinding("quality", dataset, rule, message))

    for dataset, rules in sorted(spec["datasets"].items()):
        table = tables.get(dataset)
        if table is None:
            fail(dataset, "missing", "no output was written")
            continue
        rows = _rows(table)
        bounds = rules.get("rows", {})
        if not bounds.get("min", 0) <= rows <= bounds.get("max", float("inf")):
            fail(
                dataset,
                "row-count",
                f"{rows} rows, expected {bounds.get('min', 0)}..{bounds.get('max', 'any')}",
            )
        for column in rules.get("unique", []):
            values = [v for v in table[column] if v is not None]
            if len(values) != len(set(values)):
                fail(f"{dataset}.{column}", "unique", f"{len(values) - len(set(values))} duplicate value(s)")
        for column, limit in rules.get("max_null_rate", {}).items():
            rate = sum(v is None for v in table[column]) / rows if rows else 0.0
            if rate > limit:
                fail(f"{dataset}.{column}", "null-rate", f"{rate:.1%} nulls, at most {limit:.1%} allowed")
        for column, accepted in rules.get("accepted_values", {}).items():
            unexpected = sorted({str(v) for v in table[column] if v is not None} - set(map(str, accepted)))
            if unexpected:
                fail(f"{dataset}.{column}", "accepted-values", f"unexpected {', '.join(unexpected[:5])}")
        for column, target in rules.get("references", {}).items():
            other, key = target.split(".")
            known = set(tables.get(other, {}).get(key, []))
            orphans = {v for v in table[column] if v is not None} - known
            if orphans:
                fail(
                    f"{dataset}.{column}", "referential-integrity", f"{len(orphans)} value(s) not in {target}"
                )
        freshness = rules.get("freshness")
        if freshness:
            stamps = [v for v in table[freshness["column"]] if v is not None]
            newest = max(stamps, default=None)
            newest_day = newest.date() if isinstance(newest, datetime) else newest
            if newest_day is None or as_of - newest_day > timedelta(days=freshness["max_age_days"]):
                fail(
                    f"{dataset}.{freshness['column']}",
                    "freshness",
                    f"newest {newest_day}, older than {freshness['max_age_days']} day(s) before {as_of}",
                )
    return out
