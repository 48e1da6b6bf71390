"""The parity rules that hold per environment, not per pair (DESIGN.md, "Parity rules"). Pure."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from parity.diffing import Difference, flatten
from parity.findings import Finding
from parity.manifest import Identity, Resource
from parity.policy import Policy

IMAGE_IN_TEXT = re.compile(r"""image:\s*["']?([^"'\s]+)""")
VALUES_CONFIGMAP = "platform-values"


def violation(rule: str, scope: str, subject: str, path: str, message: str) -> Finding:
    """A parity violation: `scope` is an environment or a pair ("a->b"), `subject` a Kind/name or a
    file for repository-level rules, `path` the field inside it."""
    return Finding(subject, rule, message, scope=scope, path=path)


def image_refs(resource: Resource) -> Iterator[tuple[str, str]]:
    """(path, image) for every image field, and for images named inside embedded YAML strings."""
    for path, value in resource.flat.items():
        if not isinstance(value, str):
            continue
        if path.endswith(".image") or path == "spec.image":
            yield path, value
        elif "\n" in value:
            for match in IMAGE_IN_TEXT.finditer(value):
                yield path, match.group(1)


def check_images(
    env: str, resources: Mapping[Identity, Resource], lock: Mapping[str, Mapping[str, str]]
) -> list[Finding]:
    by_repository = {entry["repository"]: (name, entry["digest"]) for name, entry in lock.items()}
    out = []
    for identity, resource in resources.items():
        for path, image in image_refs(resource):
            repository, _, digest = image.partition("@")
            if not digest.startswith("sha256:"):
                out.append(
                    violation(
                        "image-by-digest",
                        env,
                        str(identity),
                        path,
                        f"{image} is referenced by tag, not by digest",
                    )
                )
                continue
            if repository not in by_repository:
                out.append(
                    violation(
                        "image-in-lock",
                        env,
                        str(identity),
                        path,
                        f"{repository} is not an image in lock/images.lock.json",
                    )
                )
                continue
            name, locked = by_repository[repository]
            if digest != locked:
                out.append(
                    violation(
                        "image-matches-lock",
                        env,
                        str(identity),
                        path,
                        f"{name} digest {digest[:19]}... differs from lock/images.lock.json {locked[:19]}...",
                    )
                )
    return out


def check_values_keys(values: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    """Every environment's values.yaml sets the same keys (rule 4)."""
    keys = {env: set(flatten(v)) for env, v in values.items()}
    union = set().union(*keys.values()) if keys else set()
    out = []
    for env, present in keys.items():
        for path in sorted(union - present):
            holders = ", ".join(sorted(e for e, k in keys.items() if path in k))
            out.append(
                violation(
                    "same-values-keys",
                    env,
                    f"overlays/{env}/values.yaml",
                    path,
                    f"key missing here but set in {holders}",
                )
            )
    return out


def values_of(resources: Mapping[Identity, Resource]) -> dict[str, str]:
    config = next(
        (r for i, r in resources.items() if i.kind == "ConfigMap" and i.name == VALUES_CONFIGMAP), None
    )
    return {k: str(v) for k, v in (config.body.get("data") or {}).items()} if config else {}


def check_cross_env(
    env: str, resources: Mapping[Identity, Resource], others: Mapping[str, Mapping[str, str]], policy: Policy
) -> list[Finding]:
    """No environment names another environment's identifiers (rule 4): the same value under the
    same key, or another environment's bucket, topic, account, warehouse... anywhere in it."""
    own = values_of(resources)
    out = []
    for other, theirs in others.items():
        for key, value in own.items():
            if (
                key not in policy.shared_values
                and len(value) >= policy.identifier_min_length
                and theirs.get(key) == value
            ):
                out.append(
                    violation(
                        "no-cross-env-identifiers",
                        env,
                        f"ConfigMap/{VALUES_CONFIGMAP}",
                        f"data.{key}",
                        f"{value!r} is also {other}'s {key}",
                    )
                )
    mine = set(own.values())
    needles = {
        value: (other, key)
        for other, theirs in others.items()
        for key, value in theirs.items()
        if key not in policy.shared_values
        and len(value) >= policy.identifier_min_length
        and value not in mine
    }
    if not needles:
        return out
    # One alternation, longest first, scans each string once however many values there are.
    pattern = re.compile("|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True)))
    for identity, resource in resources.items():
        for path, value in resource.flat.items():
            if isinstance(value, str):
                for match in pattern.finditer(value):
                    other, key = needles[match.group(0)]
                    out.append(
                        violation(
                            "no-cross-env-identifiers",
                            env,
                            str(identity),
                            path,
                            f"holds {other}'s {key} value {match.group(0)!r}",
                        )
                    )
    return out


def check_spark_jars(
    env: str, resources: Mapping[Identity, Resource], locked_jars: set[str]
) -> list[Finding]:
    out = []
    for identity, resource in resources.items():
        if identity.kind != "SparkApplication":
            continue
        for path, value in resource.flat.items():
            if path.startswith("spec.deps.jars") and isinstance(value, str):
                jar = value.rsplit("/", 1)[-1]
                if jar not in locked_jars:
                    out.append(
                        violation(
                            "spark-jars-locked",
                            env,
                            str(identity),
                            path,
                            f"{jar} is not in lock/spark-jars.lock",
                        )
                    )
    return out


def classify(
    pair: str, differences: list[Difference], policy: Policy
) -> tuple[list[Finding], dict[str, int]]:
    """Violations (differences no rule allows) and the count of allowed differences per rule."""
    violations: list[Finding] = []
    allowed: dict[str, int] = {}
    for d in differences:
        rule = policy.rule_for(d)
        if rule is not None:
            allowed[rule.id] = allowed.get(rule.id, 0) + 1
        elif d.resource_only_on_one_side:
            side = pair.split("->")[0 if d.right is None else 1]
            violations.append(
                violation("same-resource-set", pair, str(d.identity), "", f"exists only in {side}")
            )
        else:
            violations.append(
                violation(
                    "not-allowed",
                    pair,
                    str(d.identity),
                    d.path,
                    f"{show(d.left)} -> {show(d.right)}; no [[allow]] rule covers it",
                )
            )
    return violations, allowed


def show(value: Any) -> str:
    if value is None:
        return "(absent)"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
