"""Edge: read the files parity trusts. Every syntax or shape error becomes `BadInput` (exit 2)
naming the file, the line where it is known, and the field: a malformed input is never an
internal error and never a silent default.

Readers (`read_text`, `load_json`, `load_yaml`, `load_toml`, `load_checksums`) turn bytes into
documents; `Fields` checks a document's shape one field at a time.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from parity.errors import BadInput

_TOML_LINE = re.compile(r"at line (\d+)")


def _where(source: str, line: int | None) -> str:
    return f"{source}:{line}" if line else source


def read_text(path: Path, source: str, remedy: str = "Restore it from git") -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        raise BadInput(source, "missing", remedy) from None
    except IsADirectoryError:
        raise BadInput(source, "is a directory, not a file", remedy) from None
    except UnicodeDecodeError:
        raise BadInput(source, "is not UTF-8 text", remedy) from None


def parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(_where(source, exc.lineno), f"not valid JSON: {exc.msg}", "Fix the JSON") from None


def parse_yaml(text: str, source: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "syntax error"
        raise BadInput(
            _where(source, mark.line + 1 if mark else None), f"not valid YAML: {problem}", "Fix the YAML"
        ) from None


def parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _TOML_LINE.search(str(exc))
        raise BadInput(
            _where(source, int(line.group(1)) if line else None), f"not valid TOML: {exc}", "Fix the TOML"
        ) from None


def load_json(root: Path, relative: Path | str) -> Any:
    return parse_json(read_text(root / relative, str(relative)), str(relative))


def load_yaml(root: Path, relative: Path | str) -> Any:
    return parse_yaml(read_text(root / relative, str(relative)), str(relative))


def load_toml(root: Path, relative: Path | str) -> dict[str, Any]:
    return parse_toml(read_text(root / relative, str(relative)), str(relative))


def parse_checksums(text: str, source: str) -> dict[str, str]:
    """`sha256  filename` lines (sha256sum format); '#' starts a comment."""
    sums: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 1)
        if len(parts) != 2 or not re.fullmatch(r"[0-9a-f]{64}", parts[0]):
            raise BadInput(
                f"{source}:{number}",
                f"expected `<sha256> <file name>`, got {raw.strip()[:60]!r}",
                "Fix the line (sha256sum's format)",
            )
        sums[parts[1].strip()] = parts[0]
    return sums


def load_checksums(path: Path, source: str) -> dict[str, str]:
    return parse_checksums(read_text(path, source), source)


def line_of_key(text: str, key: str) -> int | None:
    """The line that sets `key` (`a.b.c`: YAML `c:` inside `b:` inside `a:`, inline maps included;
    TOML `c =` or `[a.b]`), for shape errors. A field of the n-th TOML array table (`allow[1].paths`)
    is looked for after that table's n-th header."""
    lines = text.splitlines()
    position, found = 0, None
    for segment in key.split("."):
        name, _, index = segment.partition("[")
        headers = [n for n, line in enumerate(lines) if line.strip() == f"[[{name}]]"]
        if index and headers and len(headers) > int(index.rstrip("]")):
            position = found = headers[int(index.rstrip("]"))]
            continue
        pattern = re.compile(rf"(^|[\s{{,\[.\"'-])\"?{re.escape(name)}\"?\s*([:=]|\]|\.)")
        hit = next((n for n in range(position, len(lines)) if pattern.search(lines[n])), None)
        if hit is None:
            break
        position = found = hit
    return found + 1 if found is not None else None


_KINDS: dict[type | tuple[type, ...], str] = {
    str: "a string",
    int: "a whole number",
    bool: "true or false",
    list: "a list",
    dict: "a mapping",
    (int, float): "a number",
}


class Fields:
    """Typed access to one document's fields; a wrong or missing field is BadInput naming it."""

    def __init__(self, data: Any, source: str, text: str = "", prefix: str = "") -> None:
        self.source, self.text, self.prefix = source, text, prefix
        if not isinstance(data, Mapping):
            raise self.error(prefix or "(document)", f"must be a mapping, not {_kind_of(data)}")
        self.data: Mapping[str, Any] = data

    def error(self, name: str, problem: str) -> BadInput:
        line = line_of_key(self.text, name) if self.text else None
        return BadInput(_where(self.source, line), f"`{name}` {problem}", f"Fix {self.source}")

    def _name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data or self.data[key] is None:
            if default is ...:
                raise self.error(self._name(key), "is missing")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (kind in (int, (int, float)) and isinstance(value, bool)):
            raise self.error(self._name(key), f"must be {_KINDS.get(kind, str(kind))}, not {_kind_of(value)}")
        return value

    def string(self, key: str, default: Any = ...) -> str:
        value = self.get(key, str, default)
        if value == "" and default is ...:
            raise self.error(self._name(key), "must not be empty")
        return str(value)

    def strings(self, key: str, default: Any = ...) -> list[str]:
        value = self.get(key, list, default)
        if not all(isinstance(v, str) for v in value):
            raise self.error(self._name(key), "must be a list of strings")
        return list(value)

    def table(self, key: str, default: Any = ...) -> Fields:
        return Fields(self.get(key, dict, default), self.source, self.text, self._name(key))

    def tables(self, key: str, default: Any = ...) -> dict[str, Fields]:
        """A mapping of names to mappings (`subjects:`, `datasets:`), each as Fields."""
        value = self.get(key, dict, default)
        return {
            str(name): Fields(item, self.source, self.text, f"{self._name(key)}.{name}")
            for name, item in value.items()
        }


def _kind_of(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )
