"""Printing helpers shared by commands: aligned text tables and stable JSON."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    for line in (headers, ["-" * w for w in widths], *rows):
        print("  ".join(str(cell).ljust(w) for cell, w in zip(line, widths, strict=False)).rstrip(), file=out)


def temporary_beside(path: Path) -> Path:
    """A name beside `path` no other process or thread writes at the same time (two builds of
    the same cached layer, say), for writing it whole and renaming it into place."""
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def write_atomic(path: Path, text: str) -> None:
    """Write a file whole or not at all: readers never see it half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_beside(path)
    tmp.write_text(text)
    tmp.replace(path)


def emit_json(document: Any, stream: TextIO | None = None) -> None:
    text = json.dumps(document, indent=2, sort_keys=True)  # whole or nothing: never half a document
    print(text, file=stream or sys.stdout)
