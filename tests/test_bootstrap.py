"""A second bootstrap on a bootstrapped machine installs nothing: every step is up to date."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def test_rerun_installs_nothing(repo_root: Path, devenv: Path) -> None:
    done = subprocess.run([repo_root / "devenv" / "bootstrap"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = [line for line in done.stdout.splitlines() if line.startswith("[")]
    assert len(steps) >= 10
    assert all(line.rstrip().endswith("s)") and ("up to date" in line or " ok " in line) for line in steps), (
        done.stdout
    )
    assert "installing" not in done.stdout
