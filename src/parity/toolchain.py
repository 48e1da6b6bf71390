"""The locked toolchain (lock/tools.lock.toml) as data. Pure: parsing only, no I/O.

Each `[tools.<name>]` table has a `kind`; one factory maps the kind to its type, so adding a
kind is one class and one registry line. Tables of Python tools name a venv from `[venvs.*]`,
which says which pdm lockfile and groups fill it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from parity.errors import BadInput

LOCK_PATH = "lock/tools.lock.toml"


def _text(table: Mapping[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise BadInput(LOCK_PATH, f"{where}: `{key}` must be a non-empty string", "Fix the lock file")
    return value


def _texts(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInput(LOCK_PATH, f"{where}: `{key}` must be a list of strings", "Fix the lock file")
    return tuple(value)


def _mapping(table: Mapping[str, Any], key: str, where: str) -> dict[str, str]:
    value = table.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise BadInput(LOCK_PATH, f"{where}: `{key}` must be a table of strings", "Fix the lock file")
    return dict(value)


@dataclass(frozen=True)
class Tool:
    """A locked tool. `version` is what `parity doctor` expects to find installed."""

    kind: ClassVar[str] = ""
    name: str
    version: str
    purpose: str

    @classmethod
    def from_dict(cls, name: str, table: Mapping[str, Any]) -> Tool:
        where = f"tools.{name}"
        return cls(
            name=name,
            version=_text(table, "version", where),
            purpose=table.get("purpose", ""),
            **cls._fields_from(table, where),
        )

    @classmethod
    def _fields_from(cls, table: Mapping[str, Any], where: str) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class SystemTool(Tool):
    """Provided by the machine (the kind's image); checked, never installed by bootstrap."""

    kind: ClassVar[str] = "system"
    command: tuple[str, ...] = ()
    pattern: str = ""

    @classmethod
    def _fields_from(cls, table: Mapping[str, Any], where: str) -> dict[str, Any]:
        command = _texts(table, "command", where)
        if not command:
            raise BadInput(
                LOCK_PATH, f"{where}: `command` is empty", "Give the command that prints the version"
            )
        # `~` lets a lock name a per-user install (pyenv) without naming the user.
        return {
            "command": (str(Path(command[0]).expanduser()), *command[1:]),
            "pattern": _text(table, "pattern", where),
        }


@dataclass(frozen=True)
class GoTool(Tool):
    """Built by `go build` from a wrapper module under devenv/go whose go.sum pins every module."""

    kind: ClassVar[str] = "go"
    module: str = ""
    package: str = ""
    wrapper: str = ""
    binary: str = ""
    ldflags: str = ""
    env: dict[str, str] = field(default_factory=dict)
    smoke: tuple[str, ...] = ()
    expect: str = ""
    # A web UI the release embeds and the module lacks: its directory, the yarn release the
    # module ships, and where `//go:embed` reads the built assets (devenv/tilt_web.py builds it).
    web: dict[str, str] = field(default_factory=dict)

    @classmethod
    def _fields_from(cls, table: Mapping[str, Any], where: str) -> dict[str, Any]:
        web = _mapping(table, "web", where)
        if web and set(web) != {"dir", "yarn", "assets"}:
            raise BadInput(
                LOCK_PATH, f"{where}: `web` needs exactly dir, yarn and assets", "Fix the lock file"
            )
        return {
            "web": web,
            "module": _text(table, "module", where),
            "package": _text(table, "package", where),
            "wrapper": _text(table, "wrapper", where),
            "binary": _text(table, "binary", where),
            "ldflags": table.get("ldflags", ""),
            "env": _mapping(table, "env", where),
            "smoke": _texts(table, "smoke", where),
            "expect": _text(table, "expect", where),
        }


@dataclass(frozen=True)
class MavenTool(Tool):
    """Jars copied by `mvn dependency:copy-dependencies`; each jar's sha256 in a checksums file."""

    kind: ClassVar[str] = "maven"
    pom: str = ""
    checksums: str = ""
    directory: str = ""

    @classmethod
    def _fields_from(cls, table: Mapping[str, Any], where: str) -> dict[str, Any]:
        return {
            "pom": _text(table, "pom", where),
            "checksums": _text(table, "checksums", where),
            "directory": _text(table, "directory", where),
        }


@dataclass(frozen=True)
class PythonTool(Tool):
    """A distribution installed with --require-hashes into one of the `[venvs.*]`."""

    kind: ClassVar[str] = "python"
    distribution: str = ""
    venv: str = ""

    @classmethod
    def _fields_from(cls, table: Mapping[str, Any], where: str) -> dict[str, Any]:
        return {"distribution": _text(table, "distribution", where), "venv": _text(table, "venv", where)}


@dataclass(frozen=True)
class DebianTool(Tool):
    """A Debian package at an exact version, its files checked by `dpkg --verify`."""

    kind: ClassVar[str] = "debian"
    package: str = ""

    @classmethod
    def _fields_from(cls, table: Mapping[str, Any], where: str) -> dict[str, Any]:
        return {"package": _text(table, "package", where)}


@dataclass(frozen=True)
class SchemaTool(Tool):
    """kubeconform's offline JSON schemas, generated from a pinned PyPI package; tree hash pinned."""

    kind: ClassVar[str] = "schemas"
    source_venv: str = ""
    kubernetes_version: str = ""
    directory: str = ""
    tree_sha256: str = ""

    @classmethod
    def _fields_from(cls, table: Mapping[str, Any], where: str) -> dict[str, Any]:
        return {
            "source_venv": _text(table, "source_venv", where),
            "kubernetes_version": _text(table, "kubernetes_version", where),
            "directory": _text(table, "directory", where),
            "tree_sha256": _text(table, "tree_sha256", where),
        }


@dataclass(frozen=True)
class CrdSchemaTool(Tool):
    """kubeconform schemas converted from the CRDs inside pinned Go modules (go.sum in `wrapper`)."""

    kind: ClassVar[str] = "crds"
    wrapper: str = ""
    sources: tuple[str, ...] = ()  # "module@version:dir-with-crds"
    source_venv: str = ""
    directory: str = ""
    tree_sha256: str = ""

    @classmethod
    def _fields_from(cls, table: Mapping[str, Any], where: str) -> dict[str, Any]:
        return {
            "wrapper": _text(table, "wrapper", where),
            "sources": _texts(table, "sources", where),
            "source_venv": _text(table, "source_venv", where),
            "directory": _text(table, "directory", where),
            "tree_sha256": _text(table, "tree_sha256", where),
        }


TOOL_KINDS: dict[str, type[Tool]] = {
    cls.kind: cls
    for cls in (SystemTool, GoTool, MavenTool, PythonTool, DebianTool, SchemaTool, CrdSchemaTool)
}


@dataclass(frozen=True)
class Venv:
    """A virtual environment under .devenv/ filled from one pdm lockfile's groups."""

    name: str
    python: str
    lockfile: str
    groups: tuple[str, ...]
    include_default: bool
    project: str

    @classmethod
    def from_dict(cls, name: str, table: Mapping[str, Any]) -> Venv:
        where = f"venvs.{name}"
        return cls(
            name=name,
            python=_text(table, "python", where),
            lockfile=_text(table, "lockfile", where),
            groups=_texts(table, "groups", where),
            include_default=bool(table.get("include_default", False)),
            project=table.get("project", "."),
        )

    @property
    def path(self) -> str:
        return f"venvs/{self.name}"


@dataclass(frozen=True)
class Toolchain:
    tools: tuple[Tool, ...]
    venvs: Mapping[str, Venv]

    @classmethod
    def from_toml(cls, text: str) -> Toolchain:
        from parity.loaders import Fields, parse_toml

        data = parse_toml(text, LOCK_PATH)
        fields = Fields(data, LOCK_PATH, text)
        venvs = {
            name: Venv.from_dict(name, dict(table.data)) for name, table in fields.tables("venvs", {}).items()
        }
        tools = []
        for name, table_fields in fields.tables("tools", {}).items():
            table = dict(table_fields.data)
            kind = table.get("kind")
            if kind not in TOOL_KINDS:
                raise BadInput(
                    LOCK_PATH,
                    f"tools.{name}: unknown kind {kind!r}",
                    f"Use one of {', '.join(sorted(TOOL_KINDS))}",
                )
            tool = TOOL_KINDS[kind].from_dict(name, table)
            if isinstance(tool, PythonTool) and tool.venv not in venvs:
                raise BadInput(
                    LOCK_PATH, f"tools.{name}: venv {tool.venv!r} is not declared", "Add it under [venvs]"
                )
            tools.append(tool)
        interpreters = {tool.name for tool in tools if isinstance(tool, SystemTool)}
        for venv in venvs.values():
            if venv.python not in interpreters:
                raise BadInput(
                    LOCK_PATH,
                    f"venvs.{venv.name}: python {venv.python!r} is not a system tool",
                    'Name one of the [tools.*] with kind = "system"',
                )
        return cls(tools=tuple(tools), venvs=venvs)

    def select(self, names: list[str]) -> tuple[Tool, ...]:
        if not names:
            return self.tools
        known = {tool.name: tool for tool in self.tools}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise BadInput(
                ", ".join(unknown), "not in lock/tools.lock.toml", f"Choose from: {', '.join(known)}"
            )
        return tuple(known[name] for name in names)
