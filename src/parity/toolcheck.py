"""Edge: inspect what is installed under .devenv/ (and on the machine) for each locked tool.

Stdlib only, because devenv/bootstrap runs these same checks with the system Python before
any venv exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from parity.devenv import locate
from parity.loaders import load_checksums
from parity.toolchain import (
    CrdSchemaTool,
    DebianTool,
    GoTool,
    MavenTool,
    PythonTool,
    SchemaTool,
    SystemTool,
    Tool,
    Toolchain,
    Venv,
)

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


def _run(command: Iterable[str], env: dict[str, str] | None = None) -> tuple[int, str]:
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


def locked_python_version(root: Path, venv: Venv, distribution: str) -> str:
    lock = tomllib.loads((root / venv.lockfile).read_text())
    wanted = _normalise(distribution)
    for package in lock.get("package", []):
        if _normalise(package["name"]) == wanted:
            return str(package["version"])
    return ""


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def check_system(tool: SystemTool, ctx: Context) -> Status:
    code, out = _run(tool.command)
    found = re.search(tool.pattern, out)
    installed = found.group(1) if found and found.groups() else (found.group(0) if found else "")
    if code != 0 or not installed:
        return Status(
            tool.name,
            tool.kind,
            tool.version,
            "missing",
            f"`{' '.join(tool.command)}` failed; install {tool.name} {tool.version} on the machine",
        )
    if installed != tool.version:
        return Status(
            tool.name,
            tool.kind,
            tool.version,
            installed,
            f"machine has {installed}; the lock wants {tool.version}",
        )
    return Status(tool.name, tool.kind, tool.version, installed)


def go_sum_line(wrapper: Path, module: str, version: str) -> str:
    for line in (wrapper / "go.sum").read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == module and parts[1] == version:
            return parts[2]
    return ""


def check_go(tool: GoTool, ctx: Context) -> Status:
    binary = ctx.devenv / tool.binary
    if not binary.is_file():
        return Status(tool.name, tool.kind, tool.version, "missing", f"{binary} is missing. {FIX}")
    code, info = _run(["go", "version", "-m", str(binary)])
    if code != 0:
        return Status(
            tool.name,
            tool.kind,
            tool.version,
            "unreadable",
            f"{binary} has no Go build info ({info.splitlines()[-1] if info else 'no output'}). {FIX}",
        )
    built = {}
    for line in info.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in {"mod", "dep"}:
            built[parts[1]] = (parts[2], parts[3] if len(parts) > 3 else "")
    version, checksum = built.get(tool.module, ("", ""))
    if not version:
        return Status(
            tool.name,
            tool.kind,
            tool.version,
            "other binary",
            f"{binary} was not built from {tool.module}. {FIX}",
        )
    if version != tool.version:
        return Status(
            tool.name,
            tool.kind,
            tool.version,
            version,
            f"built from {tool.module} {version}, lock wants {tool.version}. {FIX}",
        )
    pinned = go_sum_line(ctx.root / tool.wrapper, tool.module, tool.version)
    if not pinned or checksum != pinned:
        return Status(
            tool.name,
            tool.kind,
            tool.version,
            version,
            f"module hash {checksum or 'none'} differs from {tool.wrapper}/go.sum. {FIX}",
        )
    code, out = _run([str(binary), *tool.smoke])
    if code != 0 or tool.expect not in out:
        return Status(
            tool.name,
            tool.kind,
            tool.version,
            version,
            f"`{tool.binary} {' '.join(tool.smoke)}` did not print {tool.expect!r}. {FIX}",
        )
    return Status(tool.name, tool.kind, tool.version, version)


def check_maven(tool: MavenTool, ctx: Context) -> Status:
    directory = ctx.devenv / tool.directory
    expected = read_checksums(ctx.root / tool.checksums)
    present = {p.name for p in directory.glob("*.jar")} if directory.is_dir() else set()
    missing = sorted(set(expected) - present)
    if missing:
        return Status(
            tool.name,
            tool.kind,
            tool.version,
            f"{len(present)}/{len(expected)} jars",
            f"missing {missing[0]}{f' and {len(missing) - 1} more' if len(missing) > 1 else ''}. {FIX}",
        )
    extra = sorted(present - set(expected))
    if extra:
        return Status(
            tool.name,
            tool.kind,
            tool.version,
            f"{len(present)} jars",
            f"unlocked jar {extra[0]} in {directory}. {FIX}",
        )
    for name, digest in sorted(expected.items()):
        actual = sha256_file(directory / name)
        if actual != digest:
            return Status(
                tool.name,
                tool.kind,
                tool.version,
                f"{len(present)} jars",
                f"{name} sha256 {actual[:12]}... != locked {digest[:12]}... (corrupt or swapped). {FIX}",
            )
    return Status(tool.name, tool.kind, tool.version, f"{tool.version} ({len(expected)} jars)")


# Runs inside the tool's venv: reports the distribution's version and whether every file its
# RECORD lists still has the recorded hash (a corrupted or hand-edited install shows here).
_RECORD_PROBE = r"""
import base64, hashlib, importlib.metadata as md, json, sys
try:
    dist = md.distribution(sys.argv[1])
except md.PackageNotFoundError:
    print(json.dumps({"version": ""})); raise SystemExit
def b64(data):
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
shared = None
def claimed_elsewhere(path, actual):
    # Namespace files (dbt/__init__.py) are written by several distributions; the last one wins.
    global shared
    if shared is None:
        shared = {}
        for other in md.distributions():
            if other.metadata["Name"] != dist.metadata["Name"]:
                for g in other.files or []:
                    if g.hash:
                        shared.setdefault(str(g.locate()), set()).add(g.hash.value)
    return actual in shared.get(path, ())
bad = []
for f in dist.files or []:
    if not f.hash or f.hash.mode != "sha256":
        continue
    try:
        actual = b64(f.locate().read_bytes())
    except OSError:
        bad.append(str(f)); continue
    if actual != f.hash.value and not claimed_elsewhere(str(f.locate()), actual):
        bad.append(str(f))
print(json.dumps({"version": dist.version, "bad": bad[:3], "nbad": len(bad)}))
"""


def check_python(tool: PythonTool, ctx: Context) -> Status:
    venv = ctx.toolchain.venvs[tool.venv]
    python = ctx.devenv / venv.path / "bin" / "python"
    if not python.exists():
        return Status(tool.name, tool.kind, tool.version, "missing", f"venv {venv.path} is missing. {FIX}")
    pinned = locked_python_version(ctx.root, venv, tool.distribution)
    if pinned != tool.version:
        return Status(
            tool.name,
            tool.kind,
            tool.version,
            pinned or "unlocked",
            f"{venv.lockfile} pins {tool.distribution} {pinned or '(nothing)'}, "
            f"tools.lock.toml says {tool.version}; re-lock so they agree",
        )
    code, out = _run([str(python), "-c", _RECORD_PROBE, tool.distribution])
    if code != 0:
        return Status(
            tool.name, tool.kind, tool.version, "broken", f"venv {venv.path} cannot run Python. {FIX}"
        )
    found = json.loads(out.splitlines()[-1])
    if not found["version"]:
        return Status(
            tool.name,
            tool.kind,
            tool.version,
            "missing",
            f"{tool.distribution} is not installed in {venv.path}. {FIX}",
        )
    if found["version"] != tool.version:
        return Status(
            tool.name,
            tool.kind,
            tool.version,
            found["version"],
            f"{venv.path} has {tool.distribution} {found['version']}. {FIX}",
        )
    if found["nbad"]:
        return Status(
            tool.name,
            tool.kind,
            tool.version,
            found["version"],
            f"{found['nbad']} installed file(s) differ from their RECORD hash, e.g. {found['bad'][0]}. {FIX}",
        )
    return Status(tool.name, tool.kind, tool.version, found["version"])


def check_debian(tool: DebianTool, ctx: Context) -> Status:
    code, version = _run(["dpkg-query", "-W", "-f=${Version}", tool.package])
    if code != 0 or not version:
        return Status(
            tool.name, tool.kind, tool.version, "missing", f"{tool.package} is not installed. {FIX}"
        )
    if version != tool.version:
        return Status(tool.name, tool.kind, tool.version, version, f"{tool.package} is {version}. {FIX}")
    code, out = _run(["dpkg", "--verify", tool.package])
    # dpkg --verify lists changed files ('??5??????' = checksum differs); config files may change.
    changed = [line for line in out.splitlines() if line[2:3] == "5" and " c " not in line]
    if code != 0 or changed:
        return Status(
            tool.name,
            tool.kind,
            tool.version,
            version,
            f"files changed since install: {changed[0] if changed else out}. "
            f"Reinstall with apt-get install --reinstall {tool.package}",
        )
    return Status(tool.name, tool.kind, tool.version, version)


def check_schemas(tool: SchemaTool | CrdSchemaTool, ctx: Context) -> Status:
    directory = ctx.devenv / tool.directory
    if not directory.is_dir():
        return Status(tool.name, tool.kind, tool.version, "missing", f"{directory} is missing. {FIX}")
    actual = tree_sha256(directory)
    if actual != tool.tree_sha256:
        return Status(
            tool.name,
            tool.kind,
            tool.version,
            f"tree {actual[:12]}...",
            f"schema tree differs from the locked hash {tool.tree_sha256[:12]}.... {FIX}",
        )
    label = (
        f"k8s {tool.kubernetes_version}" if isinstance(tool, SchemaTool) else f"{len(tool.sources)} modules"
    )
    return Status(tool.name, tool.kind, tool.version, f"{tool.version} ({label})")


CHECKS: dict[type[Tool], Callable[..., Status]] = {
    SystemTool: check_system,
    GoTool: check_go,
    MavenTool: check_maven,
    PythonTool: check_python,
    DebianTool: check_debian,
    SchemaTool: check_schemas,
    CrdSchemaTool: check_schemas,
}


def check(tool: Tool, ctx: Context) -> Status:
    return CHECKS[type(tool)](tool, ctx)
