"""An ephemeral environment's overlay, generated from the template's: the same base and components,
its own namespace, environment label and TTL annotation, and a values file that differs from the
template's only where the environment must own something (topics, consumer group, an S3 prefix in
the template's buckets, Snowflake databases cloned zero-copy from the template's) or be no bigger
than the environment it mirrors (replicas, Spark sizes, warehouse size). Pure but for `write`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from parity import loaders
from parity.ephemeral import EXPIRES, STATE_DIR
from parity.errors import BadInput
from parity.infra import snowflake
from parity.output import write_atomic
from parity.policy import Policy
from parity.rendering import read_values

RECORD = "env.json"
CLONES = "snowflake.sql"
LOCAL = "local"  # the variant a stand-in cluster takes: the overlay plus k8s/components/local
SIZES = snowflake.SIZES


@dataclass(frozen=True)
class Env:
    name: str
    source: str  # the environment it mirrors (--from)
    template: str
    created: datetime
    expires: datetime

    @property
    def suffix(self) -> str:
        return self.name.upper().replace("-", "_")

    @property
    def state(self) -> PurePosixPath:
        return PurePosixPath(STATE_DIR.as_posix(), self.name)

    @property
    def directory(self) -> PurePosixPath:  # the overlay; its stand-in variant is beside it
        return self.state / "overlay"


def _smaller(template: Any, source: Any) -> Any:
    """The template's figure, never above the mirrored environment's."""
    if (
        isinstance(template, bool)
        or not isinstance(template, int | float)
        or not isinstance(source, int | float)
    ):
        return template
    return min(template, source)


def _scaled(template: Mapping[str, Any], source: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in template.items():
        theirs = source.get(key) if isinstance(source, Mapping) else None
        out[key] = _scaled(value, theirs or {}) if isinstance(value, Mapping) else _smaller(value, theirs)
    return out


def values(env: Env, template: Mapping[str, Any], source: Mapping[str, Any]) -> dict[str, Any]:
    """The environment's spec: the template's, with what it must own made its own."""
    spec: dict[str, Any] = json.loads(json.dumps(template))
    where = f"overlays/{env.template}/values.yaml"
    for logical, topic in dict(spec.get("topics") or {}).items():
        marker = f".{env.template}."
        if marker not in str(topic):
            raise BadInput(
                where, f"spec.topics.{logical} does not contain {marker!r}", "Name it finsight.<env>.*"
            )
        spec["topics"][logical] = str(topic).replace(marker, f".{env.template}-{env.name}.", 1)
    spec["kafka"]["consumerGroup"] = f"{spec['kafka']['consumerGroup']}-{env.name}"
    spec["lake"]["uriTemplate"] = f"{str(spec['lake']['uriTemplate']).rstrip('/')}/{env.name}"
    for key in ("database", "rawDatabase"):
        spec["snowflake"][key] = f"{spec['snowflake'][key]}_{env.suffix}"
    spec["scaling"] = _scaled(spec.get("scaling") or {}, source.get("scaling") or {})
    size, theirs = spec["snowflake"]["warehouseSize"], (source.get("snowflake") or {}).get("warehouseSize")
    if size in SIZES and theirs in SIZES:
        spec["snowflake"]["warehouseSize"] = min(size, theirs, key=SIZES.index)
    return spec


def _moved(entries: list[Any], template_dir: PurePosixPath, target: PurePosixPath) -> list[Any]:
    """Relative paths of the template's kustomization, as seen from the generated overlay."""
    depth = len(target.parts)
    out = []
    for entry in entries:
        if isinstance(entry, str) and entry != "values.yaml":
            resolved = os.path.normpath(str(template_dir / entry))
            entry = str(PurePosixPath(*([".."] * depth), resolved))
        out.append(entry)
    return out


def kustomization(root: Path, env: Env) -> dict[str, Any]:
    source = f"overlays/{env.template}/kustomization.yaml"
    document = dict(loaders.load_yaml(root, source) or {})
    template_dir = PurePosixPath("overlays", env.template)
    for key in ("resources", "components"):
        document[key] = _moved(list(document.get(key) or []), template_dir, env.directory)
    namespace = loaders.Fields(document, source).string("namespace")
    document["namespace"] = f"{namespace}-{env.name}"
    labels = [dict(entry) for entry in document.get("labels") or []]
    for entry in labels:
        entry["pairs"] = {k: env.name if v == env.template else v for k, v in entry.get("pairs", {}).items()}
    document["labels"] = labels
    document["commonAnnotations"] = {EXPIRES: env.expires.isoformat(timespec="seconds")}
    return document


def clones(root: Path, env: Env, template: Mapping[str, Any], spec: Mapping[str, Any]) -> list[str]:
    """Zero-copy clones of the template's schemas into the environment's own databases."""
    where = f"overlays/{env.template}/values.yaml"
    theirs = snowflake.declared(root, template, where).databases
    ours = snowflake.declared(root, spec, f"{env.directory}/values.yaml").databases
    out = []
    for (original, schemas), name in zip(theirs.items(), ours, strict=True):
        out.append(f"CREATE DATABASE IF NOT EXISTS {name}")
        out += [f"CREATE SCHEMA IF NOT EXISTS {name}.{s} CLONE {original}.{s}" for s in schemas]
    return out


def drops(statements: list[str]) -> list[str]:
    """What undoes `clones`: the environment's own databases, dropped."""
    prefix = "CREATE DATABASE IF NOT EXISTS "
    return [f"DROP DATABASE IF EXISTS {s.removeprefix(prefix)}" for s in statements if s.startswith(prefix)]


def _document(spec: Mapping[str, Any], env: Env) -> str:
    head = f"# Generated by parity env create {env.name} --from {env.source}: do not edit.\n"
    body = {
        "apiVersion": "finsight.io/v1",
        "kind": "PlatformValues",
        "metadata": {"name": "values", "annotations": {"config.kubernetes.io/local-config": "true"}},
        "spec": spec,
    }
    return head + yaml.safe_dump(body, sort_keys=False)


def write(root: Path, env: Env) -> list[str]:
    """The overlay, its stand-in variant, the clone statements and the record; returns the clones."""
    template = read_values(root, env.template)
    spec = values(env, template, read_values(root, env.source))
    statements = clones(root, env, template, spec)
    target = root / env.directory
    write_atomic(target / "values.yaml", _document(spec, env))
    write_atomic(target / "kustomization.yaml", yaml.safe_dump(kustomization(root, env), sort_keys=False))
    local = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["../overlay"],
        "components": [str(PurePosixPath(*([".."] * len(env.directory.parts)), "k8s/components/local"))],
    }
    write_atomic(root / env.state / LOCAL / "kustomization.yaml", yaml.safe_dump(local, sort_keys=False))
    write_atomic(root / env.state / CLONES, "".join(f"{s};\n" for s in statements))
    record = {
        "name": env.name,
        "from": env.source,
        "template": env.template,
        "created": env.created.isoformat(timespec="seconds"),
        "expires": env.expires.isoformat(timespec="seconds"),
    }
    write_atomic(root / env.state / RECORD, json.dumps(record, indent=2) + "\n")
    return statements


def known(root: Path) -> dict[str, str]:
    """Ephemeral environments generated on this machine: name -> the environment each mirrors."""
    out = {}
    for path in sorted((root / STATE_DIR).glob(f"*/{RECORD}")):
        record = loaders.parse_json(path.read_text(), str(path.relative_to(root)))
        out[str(record["name"])] = str(record["from"])
    return out


def with_known(root: Path, policy: Policy, template: str = "ephemeral") -> Policy:
    """The policy, with each generated environment mirroring its --from and taking the template's
    scoped rules (the TTL annotation's among them)."""
    found = known(root)
    if not found:
        return policy
    rules = tuple(
        replace(r, environments=r.environments | set(found)) if template in r.environments else r
        for r in policy.allow
    )
    return replace(policy, mirrors={**policy.mirrors, **found}, allow=rules)
