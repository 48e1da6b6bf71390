"""Checks of tools that are files: locked jars (maven), venvs filled from a pdm lock (python) and
generated schema trees (schemas)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from parity.toolchain import CrdSchemaTool, MavenTool, PythonTool, SchemaTool, Venv
from parity.toolcheck.base import (
    FIX,
    Context,
    Status,
    read_checksums,
    run_tool,
    sha256_file,
    status,
    tree_sha256,
)


def locked_python_version(root: Path, venv: Venv, distribution: str) -> str:
    lock = tomllib.loads((root / venv.lockfile).read_text())
    wanted = _normalise(distribution)
    for package in lock.get("package", []):
        if _normalise(package["name"]) == wanted:
            return str(package["version"])
    return ""


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def check_maven(tool: MavenTool, ctx: Context) -> Status:
    directory = ctx.devenv / tool.directory
    expected = read_checksums(ctx.root / tool.checksums)
    present = {p.name for p in directory.glob("*.jar")} if directory.is_dir() else set()
    missing = sorted(set(expected) - present)
    if missing:
        return status(
            tool,
            f"{len(present)}/{len(expected)} jars",
            f"missing {missing[0]}{f' and {len(missing) - 1} more' if len(missing) > 1 else ''}. {FIX}",
        )
    extra = sorted(present - set(expected))
    if extra:
        return status(
            tool,
            f"{len(present)} jars",
            f"unlocked jar {extra[0]} in {directory}. {FIX}",
        )
    for name, digest in sorted(expected.items()):
        actual = sha256_file(directory / name)
        if actual != digest:
            return status(
                tool,
                f"{len(present)} jars",
                f"{name} sha256 {actual[:12]}... != locked {digest[:12]}... (corrupt or swapped). {FIX}",
            )
    return status(tool, f"{tool.version} ({len(expected)} jars)")


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
        return status(tool, "missing", f"venv {venv.path} is missing. {FIX}")
    pinned = locked_python_version(ctx.root, venv, tool.distribution)
    if pinned != tool.version:
        return status(
            tool,
            pinned or "unlocked",
            f"{venv.lockfile} pins {tool.distribution} {pinned or '(nothing)'}, "
            f"tools.lock.toml says {tool.version}; re-lock so they agree",
        )
    code, out = run_tool([str(python), "-c", _RECORD_PROBE, tool.distribution])
    if code != 0:
        return status(tool, "broken", f"venv {venv.path} cannot run Python. {FIX}")
    found = json.loads(out.splitlines()[-1])
    if not found["version"]:
        return status(
            tool,
            "missing",
            f"{tool.distribution} is not installed in {venv.path}. {FIX}",
        )
    if found["version"] != tool.version:
        return status(
            tool,
            found["version"],
            f"{venv.path} has {tool.distribution} {found['version']}. {FIX}",
        )
    if found["nbad"]:
        return status(
            tool,
            found["version"],
            f"{found['nbad']} installed file(s) differ from their RECORD hash, e.g. {found['bad'][0]}. {FIX}",
        )
    return status(tool, found["version"])


def check_schemas(tool: SchemaTool | CrdSchemaTool, ctx: Context) -> Status:
    directory = ctx.devenv / tool.directory
    if not directory.is_dir():
        return status(tool, "missing", f"{directory} is missing. {FIX}")
    actual = tree_sha256(directory)
    if actual != tool.tree_sha256:
        return status(
            tool,
            f"tree {actual[:12]}...",
            f"schema tree differs from the locked hash {tool.tree_sha256[:12]}.... {FIX}",
        )
    label = (
        f"k8s {tool.kubernetes_version}" if isinstance(tool, SchemaTool) else f"{len(tool.sources)} modules"
    )
    return status(tool, f"{tool.version} ({label})")
