"""Event schema history under a compatibility mode, as Confluent Schema Registry checks it. Pure:
the caller supplies `compatible(reader, writer)` for the subject's format."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from parity.gate_dags import GateFinding

MODES = {
    "NONE",
    "BACKWARD",
    "FORWARD",
    "FULL",
    "BACKWARD_TRANSITIVE",
    "FORWARD_TRANSITIVE",
    "FULL_TRANSITIVE",
}
Checker = Callable[[Any, Any], bool]  # (reader, writer) -> can the reader read what the writer wrote


def pairs(versions: Sequence[str], mode: str) -> list[tuple[str, str]]:
    """(earlier, later) version pairs the mode compares: the previous one, or all of them."""
    if mode == "NONE":
        return []
    transitive = mode.endswith("_TRANSITIVE")
    return [
        (versions[j], versions[i])
        for i in range(1, len(versions))
        for j in (range(i) if transitive else [i - 1])
    ]


def check_subject(
    subject: str, mode: str, versions: Sequence[str], schemas: dict[str, Any], compatible: Checker
) -> list[GateFinding]:
    base = mode.removesuffix("_TRANSITIVE")
    out = []
    for old, new in pairs(versions, mode):
        if base in {"BACKWARD", "FULL"} and not compatible(schemas[new], schemas[old]):
            out.append(
                GateFinding(
                    "schema",
                    f"{subject}:{new}",
                    "backward",
                    f"consumers on {new} cannot read events written with {old} ({mode})",
                )
            )
        if base in {"FORWARD", "FULL"} and not compatible(schemas[old], schemas[new]):
            out.append(
                GateFinding(
                    "schema",
                    f"{subject}:{new}",
                    "forward",
                    f"consumers on {old} cannot read events written with {new} ({mode})",
                )
            )
    return out
