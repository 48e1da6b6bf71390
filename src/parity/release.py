"""Pure: a release, the content-addressed bundle promotion moves. Its id is a hash of its content
(git SHA, image digests, lock hashes, each environment's rendered manifest hash, gate evidence),
so the same tree always makes the same release; who made it and when are ledger facts, not content.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from parity.errors import BadInput
from parity.ledger import canonical

ID_PATTERN = re.compile(r"^r-[0-9a-f]{16}$")
# Added to every applied object: what an environment's prune may delete is what parity applied
# there (two environments may share a cluster).
MANAGED_LABEL = "app.kubernetes.io/managed-by"
MANAGED_VALUE = "parity"
ENV_LABEL = "parity.finsight.io/environment"


@dataclass(frozen=True)
class Release:
    git_sha: str
    images: Mapping[str, str]  # image name -> digest
    locks: Mapping[str, str]  # lock file -> sha256
    renderings: Mapping[str, str]  # environment -> sha256 of the manifest it applies
    evidence: Mapping[str, str]  # gate -> sha256 of its evidence file

    def content(self) -> dict[str, Any]:
        return {
            "git_sha": self.git_sha,
            "images": dict(sorted(self.images.items())),
            "locks": dict(sorted(self.locks.items())),
            "renderings": dict(sorted(self.renderings.items())),
            "evidence": dict(sorted(self.evidence.items())),
        }

    @property
    def digest(self) -> str:
        """sha256 of the canonical content; the id is its first 16 hex digits."""
        return hashlib.sha256(canonical(self.content())).hexdigest()

    @property
    def id(self) -> str:
        return "r-" + self.digest[:16]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> Release:
        try:
            release = cls(
                str(data["git_sha"]),
                dict(data["images"]),
                dict(data["locks"]),
                dict(data["renderings"]),
                dict(data["evidence"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInput(
                where, f"is not a release record ({exc})", "Re-create it with parity release create"
            ) from None
        if data.get("id") not in (None, release.id):
            raise BadInput(
                where,
                f"says id {data.get('id')} but its content hashes to {release.id}",
                "It was edited; re-create the release",
            )
        return release


def require_id(text: str) -> str:
    if not ID_PATTERN.match(text):
        raise BadInput(
            text, "is not a release id", "Pass the id parity release create printed (r- and 16 hex digits)"
        )
    return text


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def labelled(resource: Mapping[str, Any], env: str) -> dict[str, Any]:
    """The resource as promotion applies it to `env`: parity's labels added."""
    metadata = dict(resource.get("metadata") or {})
    metadata["labels"] = {**(metadata.get("labels") or {}), MANAGED_LABEL: MANAGED_VALUE, ENV_LABEL: env}
    return {**resource, "metadata": metadata}
