"""The hashed requirement lines an image installs (`pdm export` of its lock group). Every line is
either a comment, blank, or a pinned requirement with hashes: anything else is bad input, never a
line silently dropped from the image."""

from __future__ import annotations

import re
from dataclasses import dataclass

from parity.errors import BadInput

# The interpreter every image runs (Debian bookworm's python3), for PEP 508 markers.
IMAGE_PYTHON = {
    "implementation_name": "cpython",
    "implementation_version": "3.11.2",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "platform_system": "Linux",
    "python_full_version": "3.11.2",
    "python_version": "3.11",
    "sys_platform": "linux",
}


@dataclass(frozen=True)
class Requirement:
    name: str
    version: str
    hashes: frozenset[str]
    marker: str = ""

    def applies(self) -> bool:
        """Whether the image's Python installs it (`; sys_platform == "win32"` ones it does not)."""
        if not self.marker:
            return True
        from packaging.markers import Marker

        return Marker(self.marker).evaluate(dict(IMAGE_PYTHON))

    def pinned(self) -> str:
        """The requirement line pip takes with --require-hashes (marker already evaluated)."""
        return f"{self.name}=={self.version} " + " ".join(f"--hash=sha256:{h}" for h in sorted(self.hashes))


REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;]+)\s*(;\s*(.*?))?\s*(--hash|$)")


def parse_requirements(text: str, source: str = "requirements") -> list[Requirement]:
    out = []
    for number, logical in _logical_lines(text):
        stripped = logical.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = REQUIREMENT.match(logical)
        if not match:
            raise BadInput(
                f"{source}:{number}",
                f"not a pinned requirement (`name==version --hash=sha256:...`): {stripped[:80]!r}",
                "Re-export the lock group with hashes (pdm export)",
            )
        hashes = frozenset(re.findall(r"--hash=sha256:([0-9a-f]{64})", logical))
        if not hashes:
            raise BadInput(
                f"{source}:{number}", f"{match.group(1)} has no --hash", "Export the lock with hashes"
            )
        name = match.group(1).lower().replace("_", "-")
        out.append(Requirement(name, match.group(3), hashes, (match.group(5) or "").strip()))
    return out


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first physical line number, the line with its backslash continuations joined)."""
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, line in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        out.append((start, pending + line))
        pending = ""
    if pending:
        out.append((start, pending))
    return out
