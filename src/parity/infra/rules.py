"""`parity check`'s infrastructure rules, over every environment's declarations (pure):

- infra-same-objects: every environment declares the same objects (buckets, topics, IAM roles,
  Snowflake warehouse, databases and role); one that lacks an object the others declare fails,
  naming it;
- infra-retention: the environments parity.toml's [retention] names declare exactly its figures
  (the seed's: raw 180 days, curated 730);
- infra-own-resources: no environment's declaration names another environment's object (a mirror
  and its original excepted: an ephemeral environment lives in dev's account);
- infra-secrets-declared: every Secrets Manager key an ExternalSecret reads has its placeholder in
  infra/aws/platform.yaml.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from parity.diffing import flatten
from parity.findings import Finding
from parity.invariants import violation
from parity.manifest import Identity, Resource
from parity.policy import Policy

# What each declared object is called in a finding, by its values path.
OBJECTS = {
    "buckets.": "bucket",
    "topics.": "topic",
    "iam.": "IAM role",
    "snowflake.warehouse": "Snowflake warehouse",
    "snowflake.database": "Snowflake database",
    "snowflake.rawDatabase": "Snowflake database",
    "snowflake.role": "Snowflake role",
}


def _prefix(path: str) -> str | None:
    return next((prefix for prefix in OBJECTS if path == prefix or path.startswith(prefix)), None)


def _kind(path: str) -> str | None:
    prefix = _prefix(path)
    return OBJECTS[prefix] if prefix else None


def objects(values: Mapping[str, Any]) -> dict[str, str]:
    """values path -> physical name, for every declared object of one environment."""
    return {
        path: str(v) for path, v in flatten(dict(values)).items() if _kind(path) and not isinstance(v, bool)
    }


def _file(env: str) -> str:
    return f"overlays/{env}/values.yaml"


def same_objects(values: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    declared = {env: objects(v) for env, v in values.items()}
    union = sorted({path for paths in declared.values() for path in paths})
    out = []
    for env, mine in declared.items():
        for path in union:
            if path in mine:
                continue
            holders = ", ".join(f"{e}'s {d[path]}" for e, d in sorted(declared.items()) if path in d)
            prefix = _prefix(path) or ""
            name = f" {path[len(prefix) :]}" if prefix.endswith(".") else ""
            out.append(
                violation(
                    "infra-same-objects",
                    env,
                    _file(env),
                    f"spec.{path}",
                    f"declares no {_kind(path)}{name}, which the others declare ({holders})",
                )
            )
    return out


def retention(values: Mapping[str, Mapping[str, Any]], policy: Policy) -> list[Finding]:
    out = []
    for env in policy.retention.environments:
        if env not in values:
            continue
        kept = values[env].get("retention") or {}
        for key, days in policy.retention.days.items():
            if kept.get(key) != days:
                out.append(
                    violation(
                        "infra-retention",
                        env,
                        _file(env),
                        f"spec.retention.{key}",
                        f"is {kept.get(key, 'absent')!r}; {env} must keep it {days} days "
                        "(parity.toml [retention])",
                    )
                )
    return out


def own_resources(
    values: Mapping[str, Mapping[str, Any]], related: Callable[[str, str], bool], minimum: int
) -> list[Finding]:
    declared = {env: objects(v) for env, v in values.items()}
    out = []
    for env, spec in values.items():
        needles = {
            name: (other, path)
            for other, theirs in declared.items()
            if other != env and not related(env, other)
            for path, name in theirs.items()
            if len(name) >= minimum
        }
        for path, value in flatten(dict(spec)).items():
            for name, (other, theirs) in needles.items():
                if isinstance(value, str) and name in value:
                    out.append(
                        violation(
                            "infra-own-resources",
                            env,
                            _file(env),
                            f"spec.{path}",
                            f"names {other}'s {_kind(theirs)} {name!r} (spec.{theirs})",
                        )
                    )
    return out


def secrets_declared(env: str, resources: Mapping[Identity, Resource], declared: set[str]) -> list[Finding]:
    out = []
    for identity, resource in resources.items():
        if identity.kind != "ExternalSecret":
            continue
        for path, value in resource.flat.items():
            if path.endswith("remoteRef.key") and isinstance(value, str) and value not in declared:
                out.append(
                    violation(
                        "infra-secrets-declared",
                        env,
                        str(identity),
                        path,
                        f"reads {value!r}, which infra/aws/platform.yaml declares no placeholder for",
                    )
                )
    return out


def findings(
    values: Mapping[str, Mapping[str, Any]], policy: Policy, related: Callable[[str, str], bool]
) -> list[Finding]:
    """The rules over the declarations of `values`' environments (each with its own values file)."""
    return (
        same_objects(values)
        + retention(values, policy)
        + own_resources(values, related, policy.identifier_min_length)
    )
