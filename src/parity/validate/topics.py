"""Declared Kafka topic configuration: `spec.topicConfig` in each `overlays/<env>/values.yaml`,
one entry per logical topic (the names are `spec.topics`). parity reads these itself (no
workload does), and compares them across environments:

- `cleanupPolicy` must be the same in every environment: compaction changes what a consumer
  reads, so what was validated anywhere would not hold elsewhere;
- staging must declare exactly what prod declares (it is where prod's behaviour is validated);
- `minInsyncReplicas` may not exceed `replicationFactor`, or acks=all writes can never succeed.

And across releases: `compare(baseline, candidate)` lists every field a release changes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from parity.errors import BadInput
from parity.findings import Finding
from parity.invariants import violation
from parity.policy import Policy

SECTION = "topicConfig"
# Field in values.yaml -> the Kafka config it stands for (what the Admin API calls it).
KAFKA_NAMES = {
    "partitions": "partitions",
    "replicationFactor": "replication.factor",
    "retentionMs": "retention.ms",
    "cleanupPolicy": "cleanup.policy",
    "minInsyncReplicas": "min.insync.replicas",
}
POLICIES = frozenset({"delete", "compact", "compact,delete"})


@dataclass(frozen=True)
class TopicSpec:
    partitions: int
    replicationFactor: int  # the values file spells them so
    retentionMs: int
    cleanupPolicy: str
    minInsyncReplicas: int


def parse(values: dict[str, Any], source: str) -> dict[str, TopicSpec]:
    """The `spec.topicConfig` of one values file (already parsed): logical topic -> spec."""
    section = values.get(SECTION)
    if not isinstance(section, dict) or not section:
        raise BadInput(source, f"spec.{SECTION} is missing or empty", "Declare each topic's configuration")
    out = {}
    for topic, spec in section.items():
        where = f"spec.{SECTION}.{topic}"
        if not isinstance(spec, dict):
            raise BadInput(source, f"{where} must be a mapping", f"Give it {', '.join(KAFKA_NAMES)}")
        unknown = sorted(set(spec) - set(KAFKA_NAMES))
        missing = [name for name in KAFKA_NAMES if name not in spec]
        if unknown or missing:
            problem = f"unknown {', '.join(unknown)}" if unknown else f"missing {', '.join(missing)}"
            raise BadInput(source, f"{where}: {problem}", f"Give exactly {', '.join(KAFKA_NAMES)}")
        for name in KAFKA_NAMES:
            value = spec[name]
            wanted = str if name == "cleanupPolicy" else int
            if not isinstance(value, wanted) or isinstance(value, bool):
                raise BadInput(source, f"{where}.{name} is {value!r}", f"Make it {wanted.__name__}")
        if spec["cleanupPolicy"] not in POLICIES:
            policy = spec["cleanupPolicy"]
            raise BadInput(source, f"{where}.cleanupPolicy is {policy!r}", f"Use one of {sorted(POLICIES)}")
        out[str(topic)] = TopicSpec(**spec)
    return out


def compare(baseline: dict[str, TopicSpec], candidate: dict[str, TopicSpec]) -> list[str]:
    """What the candidate changes: one line per topic added, removed, or field changed."""
    out = []
    for topic in sorted(set(baseline) | set(candidate)):
        if topic not in candidate:
            out.append(f"{topic}: declared in the baseline only")
        elif topic not in baseline:
            out.append(f"{topic}: declared in the candidate only")
        else:
            before, after = asdict(baseline[topic]), asdict(candidate[topic])
            out += [
                f"{topic}: {KAFKA_NAMES[name]} {before[name]!r} -> {after[name]!r}"
                for name in KAFKA_NAMES
                if before[name] != after[name]
            ]
    return out


def across(by_env: dict[str, dict[str, TopicSpec]]) -> list[str]:
    """Problems across one release's environments (the rules in this module's docstring)."""
    out = []
    topics = sorted({t for specs in by_env.values() for t in specs})
    for topic in topics:
        declared = {env: specs[topic] for env, specs in by_env.items() if topic in specs}
        for env in sorted(set(by_env) - set(declared)):
            out.append(f"{topic}: not declared in {env}")
        policies = {spec.cleanupPolicy for spec in declared.values()}
        if len(policies) > 1:
            each = ", ".join(f"{env} {spec.cleanupPolicy}" for env, spec in sorted(declared.items()))
            out.append(f"{topic}: cleanup.policy differs across environments ({each})")
        if "staging" in declared and "prod" in declared:
            staging, prod = asdict(declared["staging"]), asdict(declared["prod"])
            out += [
                f"{topic}: staging declares {KAFKA_NAMES[name]} {staging[name]!r}, prod {prod[name]!r}"
                for name in KAFKA_NAMES
                if staging[name] != prod[name]
            ]
        for env, spec in sorted(declared.items()):
            if spec.minInsyncReplicas > spec.replicationFactor:
                out.append(
                    f"{topic} in {env}: min.insync.replicas {spec.minInsyncReplicas} exceeds "
                    f"replication.factor {spec.replicationFactor}"
                )
    return out


def declared(values: dict[str, dict[str, Any]]) -> dict[str, dict[str, TopicSpec]]:
    """Each environment's declared topics, from its parsed values (env -> values.yaml spec)."""
    return {env: parse(spec, f"overlays/{env}/values.yaml") for env, spec in values.items()}


def findings(values: dict[str, dict[str, Any]]) -> list[Finding]:
    """`parity check`'s rule topic-config: the cross-environment rules over the declarations."""
    return [
        violation("topic-config", "repo", f"overlays/*/values.yaml#spec.{SECTION}", "", problem)
        for problem in across(declared(values))
    ]


def at_commit(root: Path, sha: str, envs: list[str]) -> dict[str, dict[str, TopicSpec]]:
    """Each environment's declared topics as of one commit (none where it declared none yet)."""
    from parity.promotion.store import git
    from parity.rendering import parse_values

    out = {}
    for env in envs:
        source = f"overlays/{env}/values.yaml"
        spec = parse_values(git(root, "show", f"{sha}:{source}"), f"{sha[:12]}:{source}")
        out[env] = parse(spec, f"{sha[:12]}:{source}") if spec.get(SECTION) else {}
    return out


def release_findings(root: Path, policy: Policy, shas: tuple[str, str]) -> list[Finding]:
    """What a release changes in each environment's declared topics, and the rules across the
    candidate's environments."""
    envs = [e for e in policy.environments if policy.values_env(e) == e]
    before, after = (at_commit(root, sha, envs) for sha in shas)
    out = [
        Finding(f"{env} topics", "validate/topic-config", line, scope="stream")
        for env in envs
        for line in compare(before[env], after[env])
    ]
    return out + [
        Finding("candidate topics", "validate/topic-config", line, scope="stream") for line in across(after)
    ]
