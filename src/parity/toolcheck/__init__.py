"""Edge: inspect what is installed under .devenv/ (and on the machine) for each locked tool; one
check per kind of tool (binaries: system, go, debian; artifacts: maven, python, schemas).

Stdlib only, because devenv/bootstrap runs these same checks with the system Python before
any venv exists.
"""

from __future__ import annotations

from collections.abc import Callable

from parity.toolchain import (
    CrdSchemaTool,
    DebianTool,
    GoTool,
    MavenTool,
    PythonTool,
    SchemaTool,
    SystemTool,
    Tool,
)
from parity.toolcheck.artifacts import check_maven, check_python, check_schemas
from parity.toolcheck.base import Context, Status, read_checksums, sha256_file, tree_sha256
from parity.toolcheck.binaries import check_debian, check_go, check_system

__all__ = ["Context", "Status", "check", "read_checksums", "sha256_file", "tree_sha256"]

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
