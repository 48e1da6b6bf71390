"""Edge: the ledger on local disk (`.parity/ledger.jsonl`, one JSON entry per line) and its head
record (`.parity/ledger.head`).

Appends hold an exclusive lock on `.parity/ledger.lock`, so concurrent processes never interleave:
each reads the tail, seals its entry to it, appends it in one write, fsyncs, then replaces the
head record atomically. A crash can leave two things behind, both mended by the next append (under
the lock) and neither ever a torn entry in the chain: a partial last line (never acknowledged:
dropped), or an entry one past the head (acknowledged: the head is moved up to it).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from parity import ledger
from parity.errors import BadInput
from parity.ledger import GENESIS, Head


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _committed(data: bytes) -> list[bytes]:
    pieces = data.split(b"\n")
    return [raw for raw in pieces[:-1] if raw]  # the last piece is empty, or an unfinished line


class FileLedger:
    def __init__(self, state: Path) -> None:
        self.path = state / "ledger.jsonl"
        self.head_path = state / "ledger.head"
        self.lock_path = state / "ledger.lock"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def lines(self) -> list[bytes]:
        """The committed entries' lines (a partial last line, never acknowledged, is left out)."""
        try:
            return _committed(self.path.read_bytes())
        except FileNotFoundError:
            return []

    def head(self) -> Head | None:
        try:
            data = json.loads(self.head_path.read_text())
            return Head(int(data["seq"]), str(data["hash"]))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            raise BadInput(
                str(self.head_path), "is not a ledger head record", "Restore it from the ledger's backup"
            ) from None

    def verdict(self) -> ledger.Verdict:
        return ledger.verify(self.lines(), self.head())

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in self.lines()]

    def _write_head(self, head: Head) -> None:
        partial = self.head_path.with_name(f".{self.head_path.name}.{os.getpid()}.tmp")
        with partial.open("w") as out:
            json.dump(head.as_dict(), out)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(self.head_path)
        _fsync_dir(self.head_path.parent)

    def _mend(self) -> list[bytes]:
        """Under the lock: drop an unacknowledged partial line, move the head up to an entry a
        crash left one past it; the committed lines (the file read once)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        if data and not data.endswith(b"\n"):
            with self.path.open("r+b") as out:
                out.truncate(data.rfind(b"\n") + 1)
                os.fsync(out.fileno())
        lines = _committed(data)
        if lines:
            last = json.loads(lines[-1])
            head = self.head()
            if (head is None and last["seq"] == 1) or (head is not None and head.seq == last["seq"] - 1):
                self._write_head(Head(last["seq"], last["hash"]))
        return lines

    def append(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._append(lambda _: body, parse=False)

    def append_if(self, make: Callable[[list[dict[str, Any]]], Mapping[str, Any]]) -> dict[str, Any]:
        """Append what `make` returns for the entries so far, under the lock: a check inside
        `make` (which may raise) sees exactly the ledger the entry joins."""
        return self._append(make, parse=True)

    def _append(
        self, make: Callable[[list[dict[str, Any]]], Mapping[str, Any]], parse: bool
    ) -> dict[str, Any]:
        with self._locked():
            lines = self._mend()
            last: dict[str, Any] = json.loads(lines[-1]) if lines else {"seq": 0, "hash": GENESIS}
            entries = [json.loads(raw) for raw in lines] if parse else []
            entry = ledger.seal(make(entries), int(last["seq"]) + 1, str(last["hash"]))
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, ledger.line(entry))
                os.fsync(fd)
            finally:
                os.close(fd)
            self._write_head(Head(entry["seq"], entry["hash"]))
            return entry
