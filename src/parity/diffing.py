"""Semantic diff of two rendered environments. Pure.

Each resource is flattened to `path -> scalar`. Lists whose items all carry a unique `name`
(containers, env, volumes, ports, volumeMounts, ...) are keyed by that name, so reordering them
is not a change; other lists are keyed by index. Map keys containing dots are bracketed:
metadata.annotations.[eks.amazonaws.com/role-arn].
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from parity.manifest import Identity, Resource

MISSING: Any = None  # a side that lacks the path
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_\-]+$")


def _key(key: str) -> str:
    return key if _PLAIN_KEY.match(key) else f"[{key}]"


def _named(items: list[Any]) -> bool:
    if not items or not all(isinstance(i, Mapping) and isinstance(i.get("name"), str) for i in items):
        return False
    return len({i["name"] for i in items}) == len(items)


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(node, Mapping):
        if not node and prefix:
            out[prefix] = {}
        for key, value in node.items():
            part = _key(str(key))
            out.update(flatten(value, f"{prefix}.{part}" if prefix else part))
    elif isinstance(node, list):
        if not node and prefix:
            out[prefix] = []
        named = _named(node)
        for index, item in enumerate(node):
            out.update(flatten(item, f"{prefix}[{item['name'] if named else index}]"))
    else:
        out[prefix] = node
    return out


@dataclass(frozen=True)
class Difference:
    identity: Identity
    path: str  # "" when the whole resource is on one side only
    left: Any
    right: Any

    @property
    def resource_only_on_one_side(self) -> bool:
        return self.path == ""


def diff(left: Mapping[Identity, Resource], right: Mapping[Identity, Resource]) -> list[Difference]:
    out: list[Difference] = []
    for identity in sorted(set(left) | set(right)):
        if identity not in right:
            out.append(Difference(identity, "", "present", MISSING))
            continue
        if identity not in left:
            out.append(Difference(identity, "", MISSING, "present"))
            continue
        if left[identity].body == right[identity].body:
            continue
        a, b = left[identity].flat, right[identity].flat
        for path in sorted(set(a) | set(b)):
            va, vb = a.get(path, MISSING), b.get(path, MISSING)
            if va != vb or (path in a) != (path in b):
                out.append(Difference(identity, path, va, vb))
    return out
