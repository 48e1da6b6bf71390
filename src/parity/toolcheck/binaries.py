"""Checks of tools that are programs: on the machine (system), built from a pinned Go module (go),
or installed from Debian (debian)."""

from __future__ import annotations

import re
from pathlib import Path

from parity.toolchain import DebianTool, GoTool, SystemTool
from parity.toolcheck.base import FIX, Context, Status, run_tool, status


def check_system(tool: SystemTool, ctx: Context) -> Status:
    code, out = run_tool(tool.command)
    found = re.search(tool.pattern, out)
    installed = found.group(1) if found and found.groups() else (found.group(0) if found else "")
    if code != 0 or not installed:
        return status(
            tool,
            "missing",
            f"`{' '.join(tool.command)}` failed; install {tool.name} {tool.version} on the machine",
        )
    if installed != tool.version:
        return status(
            tool,
            installed,
            f"machine has {installed}; the lock wants {tool.version}",
        )
    return status(tool, installed)


def go_sum_line(wrapper: Path, module: str, version: str) -> str:
    for line in (wrapper / "go.sum").read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == module and parts[1] == version:
            return parts[2]
    return ""


def check_go(tool: GoTool, ctx: Context) -> Status:
    binary = ctx.devenv / tool.binary
    if not binary.is_file():
        return status(tool, "missing", f"{binary} is missing. {FIX}")
    code, info = run_tool(["go", "version", "-m", str(binary)])
    if code != 0:
        return status(
            tool,
            "unreadable",
            f"{binary} has no Go build info ({info.splitlines()[-1] if info else 'no output'}). {FIX}",
        )
    built = {}
    last = ""
    for line in info.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in {"mod", "dep"}:
            last = parts[1]
            built[last] = (parts[2], parts[3] if len(parts) > 3 else "")
        elif len(parts) >= 3 and parts[0] == "=>" and last:  # a replace: the module really built
            built[last] = (parts[2], parts[3] if len(parts) > 3 else "")
    version, checksum = built.get(tool.module, ("", ""))
    if not version:
        return status(
            tool,
            "other binary",
            f"{binary} was not built from {tool.module}. {FIX}",
        )
    if version != tool.version:
        return status(
            tool,
            version,
            f"built from {tool.module} {version}, lock wants {tool.version}. {FIX}",
        )
    pinned = go_sum_line(ctx.root / tool.wrapper, tool.module, tool.version)
    own_source = tool.version == "(devel)"  # the wrapper is the module: no hash, its files are the pin
    if not own_source and (not pinned or checksum != pinned):
        return status(
            tool,
            version,
            f"module hash {checksum or 'none'} differs from {tool.wrapper}/go.sum. {FIX}",
        )
    code, out = run_tool([str(binary), *tool.smoke])
    if code != 0 or tool.expect not in out:
        return status(
            tool,
            version,
            f"`{tool.binary} {' '.join(tool.smoke)}` did not print {tool.expect!r}. {FIX}",
        )
    return status(tool, version)


def check_debian(tool: DebianTool, ctx: Context) -> Status:
    code, version = run_tool(["dpkg-query", "-W", "-f=${Version}", tool.package])
    if code != 0 or not version:
        return status(tool, "missing", f"{tool.package} is not installed. {FIX}")
    if version != tool.version:
        return status(tool, version, f"{tool.package} is {version}. {FIX}")
    code, out = run_tool(["dpkg", "--verify", tool.package])
    # dpkg --verify lists changed files ('??5??????' = checksum differs); config files may change.
    changed = [line for line in out.splitlines() if line[2:3] == "5" and " c " not in line]
    if code != 0 or changed:
        return status(
            tool,
            version,
            f"files changed since install: {changed[0] if changed else out}. "
            f"Reinstall with apt-get install --reinstall {tool.package}",
        )
    return status(tool, version)
