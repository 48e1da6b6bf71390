"""What every step of an image build shares: the builder's version (part of every cache key), the
cache directory under .devenv, progress reporting and running a tool with a one-line error."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from parity.devenv import locate, user_cache
from parity.errors import ParityError

BUILDER = "parity-oci/3"  # bump when the way layers are made changes: every cache key changes

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def run(cmd: list[str], what: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        tail = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise ParityError(
            what, f"{Path(cmd[0]).name} exited {done.returncode}: {tail[:400]}", "See the output above"
        )
    return done


def cache_dir(root: Path) -> Path:
    """The machine's image build cache (bases, hash-checked downloads, built wheels, layers), shared
    by every checkout: everything in it is named by the hash of exactly what makes it, so two
    checkouts with the same inputs reuse one another's work, and different inputs never meet."""
    del root  # one cache per machine, whichever checkout builds
    return user_cache() / "images"


def run_dir(root: Path) -> Path:
    """This checkout's own container state: podman's storage and throw-away runc bundles."""
    return locate(root) / "images"
