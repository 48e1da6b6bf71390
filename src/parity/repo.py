"""Locate the platform repository: the directory holding lock/tools.lock.toml."""

from __future__ import annotations

import os
from pathlib import Path

from parity.errors import BadInput

MARKER = Path("lock") / "tools.lock.toml"


def find_root(explicit: Path | None = None) -> Path:
    if explicit is None and os.environ.get("PARITY_REPO"):
        explicit = Path(os.environ["PARITY_REPO"])
    if explicit is not None:
        if not (explicit / MARKER).is_file():
            raise BadInput(str(explicit), f"no {MARKER} here", "Pass --repo the platform repository root")
        return explicit.resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / MARKER).is_file():
            return candidate
    raise BadInput(
        str(here),
        f"not inside a platform repository (no {MARKER} in it or its parents)",
        "cd into the repository or pass --repo",
    )
