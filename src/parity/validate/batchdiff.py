"""Compare two tables inside the engine that holds them: per-segment checksums in SQL, bisecting
only the segments that differ, then a row-level diff of what is left. Nothing but the checksums of
the segments and the differing rows leaves the engine, so it scales to warehouse tables.

Both tables live in one engine (the baseline's and the candidate's outputs in separate schemas of
one warehouse or one DuckDB file), so the last step is one FULL OUTER JOIN restricted to the
mismatching segments. A segment is the key's hash modulo `segments ** level`; its checksum is the
row count and the sum of the rows' hashes (a sum, not an XOR, so duplicated rows count). Float
columns are rounded to the tolerance's decimal places before hashing; the row diff then applies
the tolerance exactly, so a segment that differs only by rounding reports no rows.

The SQL is the dialect both DuckDB and Snowflake (and fakesnow, the Snowflake stand-in) speak:
`hash(...)` over several values, `%`, `IS NOT DISTINCT FROM`, information_schema.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from parity.errors import BadInput

FLOATS = ("FLOAT", "DOUBLE", "REAL", "FLOAT4", "FLOAT8", "DOUBLE PRECISION")


class Engine(Protocol):
    def query(self, sql: str) -> list[tuple[Any, ...]]: ...


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    database: str | None = None

    def sql(self) -> str:
        parts = [self.database] if self.database else []
        return ".".join(_quote(p) for p in [*parts, self.schema, self.name])

    def __str__(self) -> str:
        return ".".join([*([self.database] if self.database else []), self.schema, self.name])


@dataclass(frozen=True)
class Options:
    key: tuple[str, ...]
    ignore: frozenset[str] = frozenset()
    tolerance: float = 0.0  # absolute, for float columns
    segments: int = 4096  # per bisect level
    row_diff_below: int = 200_000  # bisect further while the mismatching segments hold more rows
    max_levels: int = 4
    max_rows: int = 1000  # differing rows reported per table


@dataclass(frozen=True)
class RowDiff:
    key: tuple[Any, ...]
    kind: str  # "changed", "only in baseline", "only in candidate"
    columns: dict[str, tuple[Any, Any]]  # the differing columns: (baseline, candidate)


@dataclass
class TableDiff:
    baseline: Table
    candidate: Table
    schema: list[str] = field(default_factory=list)  # columns missing on one side or of another type
    rows_baseline: int = 0
    rows_candidate: int = 0
    rows: list[RowDiff] = field(default_factory=list)
    truncated: bool = False
    levels: int = 0
    segments_differing: int = 0
    seconds: float = 0.0

    @property
    def match(self) -> bool:
        return not self.schema and not self.rows and self.rows_baseline == self.rows_candidate


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def columns(engine: Engine, table: Table) -> dict[str, str]:
    """Column -> type, in the table's order (empty when the table does not exist)."""
    where = [
        f"upper(table_schema) = upper({_literal(table.schema)})",
        f"upper(table_name) = upper({_literal(table.name)})",
    ]
    if table.database:
        where.append(f"upper(table_catalog) = upper({_literal(table.database)})")
    catalog = f"{_quote(table.database)}.information_schema" if table.database else "information_schema"
    rows = engine.query(
        f"select column_name, data_type from {catalog}.columns where "
        + " and ".join(where)
        + " order by ordinal_position"
    )
    return {str(name): str(kind).upper() for name, kind in rows}


def _digits(tolerance: float) -> int:
    return max(0, math.ceil(-math.log10(tolerance))) if tolerance > 0 else 15


def _is_float(kind: str) -> bool:
    return kind.split("(")[0].strip() in FLOATS


class _Plan:
    """The SQL of one comparison: which columns, how rows and keys hash."""

    def __init__(self, options: Options, names: list[str], types: dict[str, str]) -> None:
        self.options, self.names, self.types = options, names, types
        self.values = [n for n in names if n not in options.key]
        self.key_hash = "hash(" + ", ".join(_quote(k) for k in options.key) + ")"
        digits = _digits(options.tolerance)
        hashed = [
            f"round({_quote(n)}, {digits})" if _is_float(types[n]) else _quote(n)
            for n in options.key + tuple(self.values)
        ]
        self.row_hash = "hash(" + ", ".join(hashed) + ")"

    def segment(self, level: int) -> str:
        return f"({self.key_hash} % {self.options.segments**level})"

    def within(self, level: int, segments: Sequence[int]) -> str:
        if level == 0:
            return ""
        return f" where {self.segment(level)} in ({', '.join(map(str, segments))})"

    def checksums(self, a: Table, b: Table, level: int, parents: Sequence[int]) -> str:
        """The segments of `level` (within the differing `parents` of the level above) that differ."""
        where = self.within(level - 1, parents)
        side = (
            f"select {self.segment(level)} as s, count(*) as n, sum({self.row_hash}) as h "
            f"from {{t}}{where} group by 1"
        )
        return (
            f"with a as ({side.format(t=a.sql())}), b as ({side.format(t=b.sql())}) "
            "select coalesce(a.s, b.s), coalesce(a.n, 0), coalesce(b.n, 0) "
            "from a full outer join b on a.s = b.s "
            "where a.n is distinct from b.n or a.h is distinct from b.h"
        )

    def differing_rows(self, a: Table, b: Table, level: int, segments: Sequence[int]) -> str:
        where = self.within(level, segments)
        key = " and ".join(f"a.{_quote(k)} = b.{_quote(k)}" for k in self.options.key)
        same = []
        for n in self.values:
            qa, qb = f"a.{_quote(n)}", f"b.{_quote(n)}"
            if _is_float(self.types[n]) and self.options.tolerance > 0:
                same.append(
                    f"(({qa} is null and {qb} is null) or abs({qa} - {qb}) <= {self.options.tolerance!r})"
                )
            else:
                same.append(f"{qa} is not distinct from {qb}")
        selected = [f"a.{_quote(k)}" for k in self.options.key] + [f"b.{_quote(k)}" for k in self.options.key]
        selected += [f"{side}.{_quote(n)}" for n in self.values for side in ("a", "b")]
        changed = " and ".join(same) or "true"
        return (
            f"select a._p, b._p, {', '.join(selected)} from "
            f"(select *, 1 as _p from {a.sql()}{where}) a full outer join "
            f"(select *, 1 as _p from {b.sql()}{where}) b on {key} "
            f"where a._p is null or b._p is null or not ({changed}) "
            f"order by {', '.join(f'coalesce(a.{_quote(k)}, b.{_quote(k)})' for k in self.options.key)} "
            f"limit {self.options.max_rows + 1}"
        )

    def row(self, values: tuple[Any, ...]) -> RowDiff:
        in_a, in_b, rest = values[0], values[1], values[2:]
        width = len(self.options.key)
        key_a, key_b, pairs = rest[:width], rest[width : 2 * width], rest[2 * width :]
        sides = {n: (pairs[2 * i], pairs[2 * i + 1]) for i, n in enumerate(self.values)}
        if in_a is None:
            return RowDiff(tuple(key_b), "only in candidate", {n: (None, v[1]) for n, v in sides.items()})
        if in_b is None:
            return RowDiff(tuple(key_a), "only in baseline", {n: (v[0], None) for n, v in sides.items()})
        tolerance = self.options.tolerance
        differing = {
            n: v
            for n, v in sides.items()
            if not (
                v[0] == v[1] or (_is_float(self.types[n]) and None not in v and abs(v[0] - v[1]) <= tolerance)
            )
        }
        return RowDiff(tuple(key_a), "changed", differing)


def compare(engine: Engine, baseline: Table, candidate: Table, options: Options) -> TableDiff:
    started = time.monotonic()
    result = TableDiff(baseline, candidate)
    left, right = columns(engine, baseline), columns(engine, candidate)
    for table, found in ((baseline, left), (candidate, right)):
        if not found:
            raise BadInput(
                str(table),
                "does not exist (or has no columns)",
                "Build it first, or drop it from the comparison",
            )
    lower = {n.lower(): n for n in left}
    for k in options.key:
        if k.lower() not in lower or k.lower() not in {n.lower() for n in right}:
            raise BadInput(
                f"{baseline} / {candidate}", f"key column {k} is not in both tables", "Name the tables' key"
            )
    key = tuple(lower[k.lower()] for k in options.key)
    ignore = {n.lower() for n in options.ignore}
    for name in left:
        if name.lower() in ignore:
            continue
        if name not in right:
            result.schema.append(f"{name} only in baseline")
        elif left[name] != right[name]:
            result.schema.append(f"{name}: {left[name]} in baseline, {right[name]} in candidate")
    result.schema += [f"{n} only in candidate" for n in right if n not in left and n.lower() not in ignore]
    names = [n for n in left if n in right and left[n] == right[n] and n.lower() not in ignore]
    plan = _Plan(Options(**{**options.__dict__, "key": key}), names, left)
    [(result.rows_baseline,)] = engine.query(f"select count(*) from {baseline.sql()}")
    [(result.rows_candidate,)] = engine.query(f"select count(*) from {candidate.sql()}")
    level, differing = 0, [0]
    while True:
        level += 1
        segments = engine.query(plan.checksums(baseline, candidate, level, differing))
        differing = sorted(int(s) for s, _, _ in segments)
        rows = sum(max(int(n), int(m)) for _, n, m in segments)
        if not differing or rows <= options.row_diff_below or level >= options.max_levels:
            break
    result.levels, result.segments_differing = level, len(differing)
    if differing:
        rows_found = [
            plan.row(r) for r in engine.query(plan.differing_rows(baseline, candidate, level, differing))
        ]
        rows_found = [r for r in rows_found if r.kind != "changed" or r.columns]
        result.truncated = len(rows_found) > options.max_rows
        result.rows = rows_found[: options.max_rows]
    result.seconds = round(time.monotonic() - started, 3)
    return result
