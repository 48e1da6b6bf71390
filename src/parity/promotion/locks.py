"""Edge: one lock per environment (`.parity/locks/<env>.lock`), an exclusive flock held for the
whole promotion or rollback. The kernel drops it when its process dies, even by kill -9, so a
crashed promotion never leaves the environment locked; the file keeps who held it last.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from parity.errors import Refused


@contextlib.contextmanager
def held(state: Path, env: str, actor: str, what: str) -> Iterator[None]:
    path = state / "locks" / f"{env}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
            except ValueError:
                holder = {}
            raise Refused(
                f"{env}",
                f"is locked: {holder.get('actor', 'someone')} is running {holder.get('what', 'a promotion')} "
                f"(pid {holder.get('pid', '?')}, since {holder.get('since', '?')})",
                "Wait for it to finish and run this again",
            ) from None
        record = json.dumps(
            {
                "actor": actor,
                "what": what,
                "pid": os.getpid(),
                "since": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        ).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, record, 0)
        yield
    finally:
        os.close(fd)  # closing drops the flock
