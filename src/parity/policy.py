"""parity.toml as data: promotion path, allowed differences, invariants, approvals. Pure.

Errors name the file, the line where it is known, and the field (parity.loaders).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import lru_cache

from parity import loaders
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
    environments: frozenset[str] = frozenset()  # empty: every pair; else only pairs naming one of them

    def applies_to(self, a: str, b: str) -> bool:
        return not self.environments or a in self.environments or b in self.environments

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
    approvers: tuple[str, ...] = ()  # empty: anyone who is not an author
    expires: timedelta = timedelta(hours=24)


DURATION = re.compile(r"^(\d+)(s|m|h|d)$")
DEFAULT_PROD_APPROVALS = 2


def duration(text: str) -> timedelta | None:
    """`90s`, `30m`, `24h`, `7d`, or None."""
    found = DURATION.match(text)
    if not found:
        return None
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[found.group(2)]
    return timedelta(**{unit: int(found.group(1))})


@dataclass(frozen=True)
class Promotion:
    gates: tuple[str, ...] = ()  # gates a release must pass in an environment before the next
    soak: Mapping[str, timedelta] = field(default_factory=dict)  # env -> time in the previous env first
    contexts: Mapping[str, str] = field(default_factory=dict)  # env -> kubeconfig context
    rollout_timeout: float = 600.0
    ledger_url: str = ""  # s3://BUCKET/PREFIX for the Object Lock ledger; empty: .parity/ledger.jsonl
    stand_ins: Mapping[str, StandIn] = field(default_factory=dict)  # env -> what may run it elsewhere
    infra: Mapping[str, InfraTarget] = field(default_factory=dict)  # env -> applied before workloads


@dataclass(frozen=True)
class InfraTarget:
    """What `parity promote` applies with `parity infra apply` before a release's workloads."""

    parts: tuple[str, ...]
    aws_endpoint_url: str = ""  # empty: AWS itself
    bootstrap_servers: str = ""  # empty: the environment's own (PLAINTEXT only)


@dataclass(frozen=True)
class StandIn:
    """Another cluster taking an environment's place (`promote --stand-in`): a mirror's rendering."""

    rendering: str
    context: str
    kubeconfig: str = ""  # relative to the repository (the local stack's own); empty: $KUBECONFIG


@dataclass(frozen=True)
class DagGate:
    budget_seconds: float = 2.0
    pools: frozenset[str] = frozenset()
    connections: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Retention:
    """How long data is kept (spec.retention, days), and which environments must declare exactly it."""

    days: Mapping[str, int] = field(default_factory=lambda: {"rawDays": 180, "curatedDays": 730})
    environments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Policy:
    path: tuple[str, ...]
    mirrors: Mapping[str, str]  # off-path environment -> the on-path one it must mirror
    allow: tuple[AllowRule, ...]
    shared_values: frozenset[str]
    identifier_min_length: int
    approvals: Mapping[str, Approvals]
    dag_gate: DagGate = DagGate()
    values_from: Mapping[str, str] = field(default_factory=dict)  # env -> env whose values file it uses
    promotion: Promotion = Promotion()
    retention: Retention = Retention()

    @property
    def promotion_gates(self) -> tuple[str, ...]:
        return self.promotion.gates

    @property
    def soak(self) -> Mapping[str, timedelta]:
        return self.promotion.soak

    @property
    def environments(self) -> tuple[str, ...]:
        return (*self.path, *self.mirrors)

    def values_env(self, env: str) -> str:
        return self.values_from.get(env, env)

    def for_pair(self, a: str, b: str) -> Policy:
        """The rules that apply between a and b, the ones scoped to either environment first."""
        scoped = [r for r in self.allow if r.environments and r.applies_to(a, b)]
        general = [r for r in self.allow if not r.environments]
        return replace(self, allow=(*scoped, *general))

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


def parse(text: str) -> Policy:
    """parity.toml as a Policy; any syntax or shape error is BadInput naming the line and field."""
    data = loaders.Fields(loaders.parse_toml(text, POLICY_FILE), POLICY_FILE, text)
    path = data.table("promotion").strings("path")
    if len(path) < 2 or len(set(path)) != len(path):
        raise data.error("promotion.path", "must list two or more distinct environments")
    promotion = _promotion(data.table("promotion"), path)
    ledger_url = data.table("ledger", {}).string("url", "")
    if ledger_url and not ledger_url.startswith("s3://"):
        raise data.error("ledger.url", "must be an s3://BUCKET/PREFIX address (or absent: the local file)")
    promotion = replace(promotion, ledger_url=ledger_url)
    mirrors: dict[str, str] = {}
    values_from: dict[str, str] = {}
    for env, table in data.tables("environments", {}).items():
        original = table.string("mirrors")
        if original not in path:
            raise table.error(f"environments.{env}.mirrors", "must name an environment on the promotion path")
        mirrors[env] = original
        source = table.string("values", env)
        if source not in (env, original):
            raise table.error(f"environments.{env}.values", f"must be {env} or the environment it mirrors")
        if source != env:
            values_from[env] = source
    rules = []
    for index, entry in enumerate(data.get("allow", list, [])):
        rule = loaders.Fields(entry, POLICY_FILE, text, f"allow[{index}]")
        paths = rule.strings("paths")
        if not paths:
            raise rule.error(f"allow[{index}].paths", "must list at least one path glob")
        rules.append(
            AllowRule(
                rule.string("id"),
                rule.string("kind", "*"),
                rule.string("name", "*"),
                tuple(paths),
                rule.string("reason"),
                frozenset(rule.strings("environments", [])),
            )
        )
    if len({r.id for r in rules}) != len(rules):
        raise data.error("allow", "has two rules with the same id")
    invariants = data.table("invariants", {})
    shared = invariants.strings("shared_values", [])
    minimum = invariants.get("identifier_min_length", int, 6)
    if minimum < 1:
        raise invariants.error("invariants.identifier_min_length", "must be a positive integer")
    approvals = {path[-1]: Approvals(DEFAULT_PROD_APPROVALS, True)}
    for env, table in data.tables("approvals", {}).items():
        required = table.get("required", int, DEFAULT_PROD_APPROVALS)
        if required < 0:
            raise table.error(f"approvals.{env}.required", "must be zero or more")
        expires = duration(table.string("expires_after", "24h"))
        if expires is None:
            raise table.error(f"approvals.{env}.expires_after", "must be a duration like 30m, 24h or 7d")
        approvals[env] = Approvals(
            required,
            table.get("separation_of_duties", bool, True),
            tuple(table.strings("approvers", [])),
            expires,
        )
    dags = data.table("gates", {}).table("dags", {})
    budget = dags.get("budget_seconds", (int, float), 2.0)
    if budget <= 0:
        raise dags.error("gates.dags.budget_seconds", "must be more than 0")
    dag_gate = DagGate(
        float(budget), frozenset(dags.strings("pools", [])), frozenset(dags.strings("connections", []))
    )
    for env, stand_in in promotion.stand_ins.items():
        if mirrors.get(stand_in.rendering) != env:
            raise data.error(
                f"promotion.stand_ins.{env}.rendering", f"must name an environment that mirrors {env}"
            )
        if approvals.get(env, Approvals(0, False)).required:
            raise data.error(
                f"promotion.stand_ins.{env}", "cannot stand in for an environment that needs approvals"
            )
    kept = data.table("retention", {})
    days = {key: kept.get(key, int, default) for key, default in Retention().days.items()}
    retention = Retention(days, tuple(kept.strings("environments", path[1:])))
    unknown = {e for r in rules for e in r.environments} - {*path, *mirrors}
    if unknown:
        raise data.error(
            "allow", f"names unknown environment(s) {', '.join(sorted(unknown))} in environments"
        )
    return Policy(
        tuple(path),
        mirrors,
        tuple(rules),
        frozenset(shared),
        minimum,
        approvals,
        dag_gate,
        values_from,
        promotion,
        retention,
    )


def _promotion(table: loaders.Fields, path: list[str]) -> Promotion:
    gates = table.strings("gates", [])
    unknown_gates = set(gates) - {"dags", "schema", "quality"}
    if unknown_gates:
        raise table.error("promotion.gates", f"names unknown gate(s) {', '.join(sorted(unknown_gates))}")
    soak = {}
    for env, text in table.table("soak", {}).data.items():
        found = duration(text) if isinstance(text, str) else None
        if env not in path[1:] or found is None:
            raise table.error(
                f"promotion.soak.{env}", "must map a later environment on the path to a duration like 30m"
            )
        soak[env] = found
    contexts = {str(k): v for k, v in table.table("contexts", {}).data.items()}
    if set(contexts) - set(path) or not all(isinstance(v, str) and v for v in contexts.values()):
        raise table.error(
            "promotion.contexts", "must map environments on the path to kubeconfig context names"
        )
    timeout = table.get("rollout_timeout_seconds", (int, float), 600)
    if timeout <= 0:
        raise table.error("promotion.rollout_timeout_seconds", "must be more than 0")
    stand_ins = {}
    for env, entry in table.tables("stand_ins", {}).items():
        if env not in path:
            raise entry.error(f"promotion.stand_ins.{env}", "must name an environment on the promotion path")
        stand_ins[env] = StandIn(
            entry.string("rendering"), entry.string("context"), entry.string("kubeconfig", "")
        )
    infra = {}
    for env, entry in table.tables("infra", {}).items():
        parts = entry.strings("parts")
        if env not in path or not set(parts) <= {"aws", "topics", "snowflake"}:
            raise entry.error(f"promotion.infra.{env}", "must be a path env: parts aws, topics, snowflake")
        endpoints = (entry.string("aws_endpoint_url", ""), entry.string("bootstrap_servers", ""))
        infra[env] = InfraTarget(tuple(parts), *endpoints)
    return Promotion(tuple(gates), soak, contexts, float(timeout), stand_ins=stand_ins, infra=infra)
