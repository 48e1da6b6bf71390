"""Rendered Kubernetes resources as data: identity, environment stripping, normalisation. Pure.

A resource's identity is (apiVersion, kind, name), after removing what makes the same resource
look different per environment: its namespace, and the hash suffix kustomize appends to
generated ConfigMaps and Secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

import yaml

from parity.errors import BadInput

# kustomize's name hash: 10 characters from an alphabet without vowels and look-alikes.
HASH_SUFFIX = re.compile(r"^(?P<base>.+)-(?P<hash>[bcdfghkmt2-9]{10})$")
GENERATED_KINDS = {"ConfigMap", "Secret"}


class Identity(NamedTuple):
    api_version: str
    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class Resource:
    identity: Identity
    namespace: str
    body: Mapping[str, Any]

    @cached_property
    def flat(self) -> dict[str, Any]:
        """path -> leaf (parity.diffing.flatten), computed once: the diff of every pair and each
        per-environment rule read it."""
        from parity.diffing import flatten

        return flatten(self.body)


def base_name(kind: str, name: str) -> str:
    if kind in GENERATED_KINDS:
        match = HASH_SUFFIX.match(name)
        if match:
            return match.group("base")
    return name


def identity_of(document: Mapping[str, Any], source: str) -> Identity:
    try:
        metadata = document["metadata"]
        return Identity(
            str(document["apiVersion"]),
            str(document["kind"]),
            base_name(str(document["kind"]), str(metadata["name"])),
        )
    except (KeyError, TypeError):
        raise BadInput(
            source,
            "a document lacks apiVersion, kind or metadata.name",
            "Every rendered document must be a Kubernetes object",
        ) from None


def _without_namespace(node: Any, namespace: str) -> Any:
    """Drop `namespace: <the env's namespace>` wherever kustomize wrote it (metadata, subjects...)."""
    if isinstance(node, Mapping):
        return {
            k: _without_namespace(v, namespace)
            for k, v in node.items()
            if not (k == "namespace" and v == namespace)
        }
    if isinstance(node, list):
        return [_without_namespace(item, namespace) for item in node]
    return node


def _strip(document: Mapping[str, Any]) -> dict[str, Any]:
    """The body compared across environments: the environment's namespace removed everywhere."""
    namespace = (document.get("metadata") or {}).get("namespace")
    body = dict(_without_namespace(document, namespace) if namespace else document)
    metadata = dict(body.get("metadata") or {})
    metadata["name"] = base_name(str(body.get("kind")), str(metadata.get("name")))
    body["metadata"] = metadata
    return body


def normalise(documents: Iterable[Mapping[str, Any]], source: str) -> dict[Identity, Resource]:
    """Index documents by identity; a duplicate identity is bad input (it would hide a resource)."""
    resources: dict[Identity, Resource] = {}
    for document in documents:
        if not document:
            continue
        identity = identity_of(document, source)
        if identity in resources:
            raise BadInput(
                source,
                f"duplicate resource {identity} ({identity.api_version})",
                "Each resource may appear once per environment",
            )
        namespace = str((document.get("metadata") or {}).get("namespace", ""))
        resources[identity] = Resource(identity, namespace, _strip(document))
    return dict(sorted(resources.items()))


# libyaml's loader parses rendered manifests about ten times faster than the pure-Python one.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_documents(text: str, source: str) -> list[dict[str, Any]]:
    try:
        return [doc for doc in yaml.load_all(text, Loader=SafeLoader) if doc]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise BadInput(source, f"YAML syntax error{where}", "Fix the YAML") from None


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump(document: Mapping[str, Any]) -> str:
    """Stable YAML: sorted keys, block scalars for multi-line strings."""
    return yaml.dump(dict(document), Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=1000)


def as_applied(resource: Resource) -> dict[str, Any]:
    """The resource as it goes to its environment: body plus the namespace identity stripped."""
    body = dict(resource.body)
    if resource.namespace:
        body["metadata"] = {**body["metadata"], "namespace": resource.namespace}
    return body


def file_name(identity: Identity) -> str:
    group = identity.api_version.split("/")[0] if "/" in identity.api_version else "core"
    return f"{identity.kind.lower()}-{identity.name}.{group}.yaml"
