from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEVENV = Path(os.environ.get("PARITY_DEVENV", ROOT / ".devenv"))


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture
def devenv() -> Path:
    """The bootstrapped toolchain. Missing means bootstrap did not run: fail, do not skip."""
    assert (DEVENV / "stamps").is_dir(), f"{DEVENV} is not bootstrapped; run devenv/bootstrap"
    return DEVENV


@pytest.fixture
def chdir_tmp(tmp_path: Path) -> Iterator[Path]:
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(previous)
