"""Where the bootstrapped toolchain lives: the one place that decides it.

`.devenv/` beside the repository, or `$PARITY_DEVENV` (tests and benchmarks run copies of the
repository against the real toolchain). Stdlib only: devenv/bootstrap imports it before any venv
exists.
"""

from __future__ import annotations

import os
from pathlib import Path

VARIABLE = "PARITY_DEVENV"


def locate(root: Path) -> Path:
    return Path(os.environ.get(VARIABLE) or root / ".devenv")


def venv_bin(root: Path, venv: str, program: str) -> Path:
    """A program of one of the bootstrapped venvs (`venv_bin(root, "dbt", "dbt")`)."""
    return locate(root) / "venvs" / venv / "bin" / program


def binary(root: Path, name: str) -> Path:
    """A pinned binary of .devenv/bin; missing means the bootstrap did not run (bad input: exit 2)."""
    from parity.errors import BadInput

    path = locate(root) / "bin" / name
    if not path.is_file():
        raise BadInput(name, f"{path} is missing", "Run devenv/bootstrap (make run does it)")
    return path


def user_cache() -> Path:
    """The machine's cache shared by every checkout (`$PARITY_CACHE_DIR`, or ~/.cache/parity): the
    bootstrap's store and timings, image layers, lint results, dbt manifests. Never the work tree."""
    return Path(os.environ.get("PARITY_CACHE_DIR") or Path.home() / ".cache" / "parity")
