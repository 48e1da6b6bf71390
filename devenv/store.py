"""The machine's store of finished bootstrap steps, shared by every checkout on the machine.

A step's stamp is a hash of everything it is built from, so two checkouts whose stamps agree
would build the same thing. The first to build it keeps a copy here, under the step and its
stamp; the others take that copy instead of building again (a fresh clone's bootstrap then takes
seconds, not minutes). What is taken is checked exactly as a fresh build is: the step's tools
must pass their `parity doctor` checks, or the step is built anew.

Two ways of keeping:
- copies (Go binaries, jar sets, schema trees): stored once, copied into `.devenv/`;
- venvs: pip writes a venv's absolute path into its scripts and their RECORD hashes, so a venv
  cannot be copied. A venv is built in place in the store, and `.devenv/venvs/<name>` is a symlink
  to it; the tool's venv, which must import parity from its own checkout, is a small overlay venv
  instead (bootstrap.py). Those venvs are read-only in use; `parity doctor` verifies their RECORD
  hashes through the link, so a tampered shared venv is reported in every checkout that uses it.

Entries are written under a lock and marked complete last, so a crash or a concurrent bootstrap
never leaves a half-built entry that looks whole. Entries unused for `KEEP_DAYS` are removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

KEEP_DAYS = 30
COMPLETE = ".complete"


def default_root() -> Path:
    from parity.devenv import user_cache  # src/ is on the path: bootstrap.py puts it there

    return user_cache() / "store"


def _slug(label: str) -> str:
    return label.replace(" ", "-")


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root

    def entry(self, label: str, stamp: str) -> Path:
        return self.root / f"{_slug(label)}-{stamp[:24]}"

    @contextlib.contextmanager
    def locked(self, entry: Path) -> Iterator[None]:
        entry.parent.mkdir(parents=True, exist_ok=True)
        with entry.with_name(entry.name + ".lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @staticmethod
    def complete(entry: Path) -> bool:
        return (entry / COMPLETE).is_file()

    @staticmethod
    def _mark(entry: Path) -> None:
        (entry / COMPLETE).write_text(f"{time.time():.0f}\n")

    @staticmethod
    def _touch(entry: Path) -> None:
        with contextlib.suppress(OSError):
            os.utime(entry / COMPLETE)

    def used(self, label: str, stamp: str) -> None:
        """A checkout still uses this entry (through its link): not one to prune."""
        self._touch(self.entry(label, stamp))

    # -- copies --------------------------------------------------------------------------
    def take(self, label: str, stamp: str, target: Path) -> bool:
        """Copy the stored output of (label, stamp) to `target`; False when none is stored."""
        entry = self.entry(label, stamp)
        if not self.complete(entry):
            return False
        stored = entry / "output"
        target.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            copy = building / "output"
            if stored.is_dir():
                shutil.copytree(stored, copy, symlinks=True)
            else:
                shutil.copy2(stored, copy)
            replace_path(copy, target)
        finally:
            shutil.rmtree(building, ignore_errors=True)
        self._touch(entry)
        return True

    def keep(self, label: str, stamp: str, output: Path) -> None:
        """Store a copy of a step's verified output (a file or a directory)."""
        entry = self.entry(label, stamp)
        with contextlib.suppress(OSError), self.locked(entry):  # a full or read-only disk: no store
            if self.complete(entry):
                return
            building = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
            try:
                if output.is_dir():
                    shutil.copytree(output, building / "output", symlinks=True)
                else:
                    shutil.copy2(output, building / "output")
                self._mark(building)
                shutil.rmtree(entry, ignore_errors=True)
                building.rename(entry)
            finally:
                shutil.rmtree(building, ignore_errors=True)

    # -- venvs built in place ------------------------------------------------------------
    def venv(
        self,
        label: str,
        stamp: str,
        link: Path,
        build: Callable[[Path], None] | None,
        rebuild: bool = False,
        place: Callable[[Path, Path], None] | None = None,
    ) -> bool:
        """Point `link` at the store's venv for (label, stamp), building it there first (unless
        `build` is None: then only a complete stored venv is linked, and False means none is).
        `place(entry, link)` puts something else than a symlink at `link` (the tool's overlay)."""
        entry = self.entry(label, stamp)
        with self.locked(entry):
            if rebuild or not self.complete(entry):
                if build is None:
                    return False
                shutil.rmtree(entry, ignore_errors=True)
                build(entry)
                self._mark(entry)
            else:
                self._touch(entry)
        link.parent.mkdir(parents=True, exist_ok=True)
        if place is not None:
            place(entry, link)
            return True
        pointer = link.with_name(f".{link.name}.{os.getpid()}.link")
        pointer.unlink(missing_ok=True)
        pointer.symlink_to(entry, target_is_directory=True)
        if link.is_dir() and not link.is_symlink():  # a venv an older bootstrap built in place
            shutil.rmtree(link)
        pointer.replace(link)
        return True

    # -- housekeeping ----------------------------------------------------------------------
    def prune(self, keep_days: int = KEEP_DAYS) -> list[str]:
        """Remove entries no checkout has used for `keep_days` (a checkout still linking one
        finds its link broken and rebuilds it on its next bootstrap)."""
        if not self.root.is_dir():
            return []
        cutoff = time.time() - keep_days * 86400
        removed = []
        for entry in self.root.iterdir():
            marker = entry / COMPLETE
            stored = entry.is_dir() and not entry.name.startswith(".") and marker.is_file()
            if stored and marker.stat().st_mtime < cutoff:
                with contextlib.suppress(OSError), self.locked(entry):
                    shutil.rmtree(entry)
                    entry.with_name(entry.name + ".lock").unlink(missing_ok=True)
                    removed.append(entry.name)
        return removed


def replace_path(built: Path, target: Path) -> None:
    """Put `built` at `target`, replacing a file or directory there."""
    if target.is_dir() and not target.is_symlink():
        old = target.with_name(f".{target.name}.{os.getpid()}.old")
        target.rename(old)
        built.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        built.replace(target)
