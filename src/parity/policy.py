"""parity.toml as data: promotion path, allowed differences, invariants, approvals. Pure.

Errors name the file and line: TOML syntax errors carry it; for a bad `[[allow]]` entry the
line is where that entry starts.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from parity.diffing import Difference
from parity.errors import BadInput

POLICY_FILE = "parity.toml"


@dataclass(frozen=True)
class AllowRule:
    id: str
    kind: str
    name: str
    paths: tuple[str, ...]
    reason: str

    def matches(self, difference: Difference) -> bool:
        return (
            not difference.resource_only_on_one_side
            and glob(self.kind).fullmatch(difference.identity.kind) is not None
            and glob(self.name).fullmatch(difference.identity.name) is not None
            and any(glob(p).fullmatch(difference.path) for p in self.paths)
        )


@lru_cache(maxsize=512)
def glob(pattern: str) -> re.Pattern[str]:
    """`*` is any run of characters (dots included), `?` one character; everything else is
    literal, so bracketed keys like `[eks.amazonaws.com/role-arn]` need no escaping."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern))


@dataclass(frozen=True)
class Approvals:
    required: int
    separation_of_duties: bool


@dataclass(frozen=True)
class DagGate:
    budget_seconds: float = 2.0
    pools: frozenset[str] = frozenset()
    connections: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Policy:
    path: tuple[str, ...]
    mirrors: Mapping[str, str]  # off-path environment -> the on-path one it must mirror
    allow: tuple[AllowRule, ...]
    shared_values: frozenset[str]
    identifier_min_length: int
    approvals: Mapping[str, Approvals]
    dag_gate: DagGate = DagGate()

    @property
    def environments(self) -> tuple[str, ...]:
        return (*self.path, *self.mirrors)

    def pairs(self, selected: tuple[str, ...] = ()) -> list[tuple[str, str]]:
        """Adjacent promotion-path pairs plus (mirror, original), limited to the selected envs."""
        pairs = list(zip(self.path, self.path[1:], strict=False))
        pairs += [(original, env) for env, original in self.mirrors.items()]
        if selected:
            pairs = [(a, b) for a, b in pairs if a in selected and b in selected]
        return pairs

    def rule_for(self, difference: Difference) -> AllowRule | None:
        return next((rule for rule in self.allow if rule.matches(difference)), None)

    def require_env(self, env: str) -> None:
        if env not in self.environments:
            raise BadInput(
                env, "unknown environment", f"Use one of {', '.join(self.environments)} (from {POLICY_FILE})"
            )


def _line_of(text: str, marker: str, occurrence: int) -> int:
    seen = 0
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() == marker:
            if seen == occurrence:
                return number
            seen += 1
    return 0


def _fail(text: str, what: str, marker: str = "", occurrence: int = 0) -> BadInput:
    line = _line_of(text, marker, occurrence) if marker else 0
    where = f"{POLICY_FILE}:{line}" if line else POLICY_FILE
    return BadInput(where, what, f"Fix {POLICY_FILE}")


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def parse(text: str) -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"at line (\d+)", str(exc))
        where = f"{POLICY_FILE}:{line.group(1)}" if line else POLICY_FILE
        raise BadInput(where, f"not valid TOML: {exc}", f"Fix the syntax in {POLICY_FILE}") from None
    path = data.get("promotion", {}).get("path")
    if not _strings(path) or len(path) < 2 or len(set(path)) != len(path):
        raise _fail(text, "[promotion] path must list two or more distinct environments", "[promotion]")
    mirrors: dict[str, str] = {}
    for env, table in data.get("environments", {}).items():
        original = table.get("mirrors") if isinstance(table, dict) else None
        if original not in path:
            raise _fail(
                text,
                f"environments.{env}.mirrors must name an environment on the promotion path",
                f"[environments.{env}]",
            )
        mirrors[env] = str(original)
    rules = []
    for index, entry in enumerate(data.get("allow", [])):
        ok = (
            isinstance(entry, dict)
            and isinstance(entry.get("id"), str)
            and _strings(entry.get("paths"))
            and entry.get("paths")
            and isinstance(entry.get("reason"), str)
            and entry.get("reason")
        )
        if not ok:
            raise _fail(
                text, "an [[allow]] rule needs id, paths (list of globs) and a reason", "[[allow]]", index
            )
        rules.append(
            AllowRule(
                entry["id"],
                str(entry.get("kind", "*")),
                str(entry.get("name", "*")),
                tuple(entry["paths"]),
                entry["reason"],
            )
        )
    if len({r.id for r in rules}) != len(rules):
        raise _fail(text, "two [[allow]] rules share an id")
    invariants = data.get("invariants", {})
    shared = invariants.get("shared_values", [])
    if not _strings(shared):
        raise _fail(text, "invariants.shared_values must be a list of value keys", "[invariants]")
    minimum = invariants.get("identifier_min_length", 6)
    if not isinstance(minimum, int) or minimum < 1:
        raise _fail(text, "invariants.identifier_min_length must be a positive integer", "[invariants]")
    approvals = {}
    for env, table in data.get("approvals", {}).items():
        required = table.get("required") if isinstance(table, dict) else None
        if not isinstance(required, int) or required < 0:
            raise _fail(text, f"approvals.{env}.required must be a whole number", f"[approvals.{env}]")
        approvals[env] = Approvals(required, bool(table.get("separation_of_duties", True)))
    dags = data.get("gates", {}).get("dags", {})
    budget = dags.get("budget_seconds", 2.0)
    if (
        not isinstance(budget, int | float)
        or budget <= 0
        or not _strings(dags.get("pools", []))
        or not _strings(dags.get("connections", []))
    ):
        raise _fail(
            text, "gates.dags needs budget_seconds > 0 and lists of pools and connections", "[gates.dags]"
        )
    dag_gate = DagGate(
        float(budget), frozenset(dags.get("pools", [])), frozenset(dags.get("connections", []))
    )
    return Policy(tuple(path), mirrors, tuple(rules), frozenset(shared), minimum, approvals, dag_gate)
