"""No workload branches on an environment's name, and no secret value is committed.
(`parity lint` will enforce this in depth; this guards the platform from the start.)"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

from tests.platform.conftest import ENVS, ROOT

ENV_NAMES = {*ENVS, "production", "prd", "stg", "development"}
PY_FILES = sorted((ROOT / "pipelines").rglob("*.py"))


def env_comparisons(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare | ast.MatchValue):
            constants = [
                n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            ]
            if any(c.lower() in ENV_NAMES for c in constants):
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("path", PY_FILES, ids=[p.relative_to(ROOT).as_posix() for p in PY_FILES])
def test_no_comparison_with_an_environment_name(path: Path) -> None:
    assert env_comparisons(ast.parse(path.read_text())) == []


def test_the_check_itself_finds_a_branch() -> None:
    assert env_comparisons(ast.parse('import os\nif os.environ["ENVIRONMENT"] == "prod":\n    pass\n')) == [2]


def test_dbt_models_never_read_target_name() -> None:
    offenders = [p for p in (ROOT / "pipelines/dbt").rglob("*.sql") if "target.name" in p.read_text()]
    assert offenders == []


SECRET_PATTERNS = [
    re.compile(p)
    for p in (
        r"AKIA[0-9A-Z]{16}",
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
        r"(?i)aws_secret_access_key\s*[:=]\s*['\"]?[A-Za-z0-9/+]{40}",
    )
]


def test_no_secret_values_in_the_platform() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "pipelines", "k8s", "overlays", "images", "lock", "devenv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    files = [ROOT / p for p in tracked if not p.endswith((".lock", ".txt", ".sum"))]
    hits = [
        (p, m.group(0)[:12])
        for p in files
        for pattern in SECRET_PATTERNS
        for m in pattern.finditer(p.read_text())
    ]
    assert hits == []
