"""`parity images push|sign`: release.yml's steps between the verify rebuild and `parity release
create`: each built image copied to the registry by digest, then signed there with cosign."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from parity import signing
from parity.errors import OK, BadInput
from parity.output import emit_json


def _settings(root: Path) -> signing.Signing:
    found = signing.settings(root)
    if found is None:
        raise BadInput(
            "parity.toml", "has no [signing] table", "Add one: public_key, key_secret, environments"
        )
    return found


def push(root: Path, names: Sequence[str], registry: str, output_format: str) -> int:
    pushed = signing.push(root, list(names), registry)
    _report("pushed", pushed, output_format)
    return OK


def sign(root: Path, names: Sequence[str], endpoint: str | None, output_format: str) -> int:
    signed = signing.sign(root, _settings(root), list(names), endpoint)
    _report("signed", signed, output_format)
    return OK


def _report(verb: str, references: list[str], output_format: str) -> None:
    if output_format == "json":
        emit_json({verb: references})
        return
    for reference in references:
        print(f"{verb} {reference}")
