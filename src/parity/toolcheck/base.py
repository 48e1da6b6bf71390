"""What every tool check shares: the status it reports, where the toolchain is, hashing and running
a tool's own version command. Stdlib only (devenv/bootstrap runs the checks before any venv exists)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from parity.devenv import locate
from parity.loaders import load_checksums
from parity.toolchain import Tool, Toolchain

FIX = "Run devenv/bootstrap"


@dataclass(frozen=True)
class Status:
    name: str
    kind: str
    locked: str
    installed: str
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def status(tool: Tool, installed: str, problem: str = "") -> Status:
    """The status of a locked tool: what is installed, and what is wrong with it, if anything."""
    return Status(tool.name, tool.kind, tool.version, installed, problem)


@dataclass(frozen=True)
class Context:
    root: Path
    devenv: Path
    toolchain: Toolchain

    @classmethod
    def for_repo(cls, root: Path, toolchain: Toolchain) -> Context:
        return cls(root=root, devenv=locate(root), toolchain=toolchain)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_sha256(directory: Path) -> str:
    """One hash over relative paths and contents, independent of mtimes and walk order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(sha256_file(path).encode() + b"\n")
    return digest.hexdigest()


def run_tool(command: Iterable[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    try:
        done = subprocess.run(
            list(command),
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **(env or {})},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, str(exc)
    return done.returncode, (done.stdout + done.stderr).strip()


def read_checksums(path: Path) -> dict[str, str]:
    """`sha256  filename` lines; a malformed line is bad input naming the file and line."""
    return load_checksums(path, str(path))
