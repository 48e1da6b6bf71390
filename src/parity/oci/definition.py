"""Workload image definitions: images/common.toml (shared) and images/<name>/image.toml (one per
image). They are the single source of truth for what goes into an image; `parity images build`
reads nothing else but the lock files they name."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import Any

from parity.errors import BadInput

IMAGES = Path("images")
COMMON = IMAGES / "common.toml"
REQUIREMENTS = Path("lock/requirements")
VENV = "/opt/venv"


@dataclass(frozen=True)
class Copy:
    source: str  # repository-relative path (file or directory)
    target: str  # absolute path in the image


@dataclass(frozen=True)
class User:
    name: str
    uid: int
    home: str


@dataclass(frozen=True)
class Common:
    source_date_epoch: int
    suite: str
    variant: str
    apt_sources: tuple[str, ...]
    debian: tuple[str, ...]
    exclude: tuple[str, ...]
    build_requirements: str  # hashed pip + setuptools: the installer and the sdist build backend

    @property
    def created(self) -> str:
        import datetime as dt

        return dt.datetime.fromtimestamp(self.source_date_epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ImageDef:
    name: str
    repository: str
    lock_group: str
    debian: tuple[str, ...]  # beyond common.debian
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    workdir: str
    user: User
    env: dict[str, str]
    copies: tuple[Copy, ...]
    jars: str  # a lock/*.lock of jar checksums whose jars go to /opt/spark-jars, or ""
    jars_dir: str  # where, under .devenv, the bootstrap put those jars
    common: Common = field(repr=False)

    @property
    def requirements(self) -> Path:
        return REQUIREMENTS / f"{self.lock_group}.txt"

    @property
    def definition(self) -> Path:
        return IMAGES / self.name / "image.toml"

    @property
    def packages(self) -> tuple[str, ...]:
        """The Debian packages asked for, which name the base root filesystem this image needs."""
        return tuple(sorted({*self.common.debian, *self.debian}))

    @property
    def base_key(self) -> str:
        return "+".join(self.packages)

    @property
    def environment(self) -> dict[str, str]:
        """The environment every container of this image starts with."""
        return {
            "PATH": f"{VENV}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": self.user.home,
            "USER": self.user.name,
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            **self.env,
        }

    @property
    def path_directories(self) -> tuple[str, ...]:
        return tuple(self.environment["PATH"].split(":"))

    def config(self) -> dict[str, Any]:
        """The OCI image config's `config` object."""
        env = self.environment
        out: dict[str, Any] = {
            "User": f"{self.user.uid}:{self.user.uid}",
            "Env": [f"{k}={v}" for k, v in sorted(env.items())],
            "Entrypoint": list(self.entrypoint),
            "WorkingDir": self.workdir,
            "Labels": {
                "org.opencontainers.image.title": self.name,
                "org.opencontainers.image.source": self.definition.as_posix(),
                "finsight.lock-group": self.lock_group,
            },
        }
        if self.cmd:
            out["Cmd"] = list(self.cmd)
        return out


def _load(root: Path, relative: Path) -> dict[str, Any]:
    path = root / relative
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise BadInput(str(relative), "missing", "Add the image definition (see images/README.md)") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(str(relative), f"not valid TOML ({exc})", "Fix the syntax") from None


def _strings(data: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInput(where, f"{key} must be a list of strings", f'Write {key} = ["..."]')
    return tuple(value)


def _text(data: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value:
        raise BadInput(where, f"{key} is missing or not a string", f'Set {key} = "..."')
    return value


def load_common(root: Path) -> Common:
    data = _load(root, COMMON)
    where = str(COMMON)
    epoch = data.get("source_date_epoch")
    if not isinstance(epoch, int) or epoch <= 0:
        raise BadInput(where, "source_date_epoch must be a positive integer", "Set it to a fixed UNIX time")
    return Common(
        source_date_epoch=epoch,
        suite=_text(data, "suite", where),
        variant=_text(data, "variant", where, "minbase"),
        apt_sources=_strings(data, "apt_sources", where),
        debian=_strings(data, "debian", where),
        exclude=_strings(data, "exclude", where),
        build_requirements=_text(data, "build_requirements", where),
    )


def names(root: Path) -> list[str]:
    return sorted(p.parent.name for p in (root / IMAGES).glob("*/image.toml"))


def load(root: Path, name: str, common: Common | None = None) -> ImageDef:
    relative = IMAGES / name / "image.toml"
    if not (root / relative).is_file():
        known = ", ".join(names(root)) or "none"
        raise BadInput(f"image {name}", f"no {relative}", f"Choose one of: {known}")
    data = _load(root, relative)
    where = str(relative)
    user = data.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("uid"), int) or user["uid"] <= 0:
        raise BadInput(where, "[user] needs name, a non-root uid and home", "Add a [user] table")
    env = data.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise BadInput(where, "[env] values must be strings", "Quote them")
    copies = []
    for item in data.get("copy", []):
        if not isinstance(item, dict) or not {"from", "to"} <= set(item):
            raise BadInput(where, "each [[copy]] needs from and to", "Add both keys")
        if not (root / item["from"]).exists():
            raise BadInput(where, f"copy source {item['from']} does not exist", "Fix the path")
        if not PurePosixPath(item["to"]).is_absolute():
            raise BadInput(where, f"copy target {item['to']} is not absolute", "Use a path starting with /")
        copies.append(Copy(item["from"], item["to"]))
    image = ImageDef(
        name=name,
        repository=_text(data, "repository", where),
        lock_group=_text(data, "lock_group", where),
        debian=_strings(data, "debian", where),
        entrypoint=_strings(data, "entrypoint", where),
        cmd=_strings(data, "cmd", where),
        workdir=_text(data, "workdir", where, "/"),
        user=User(_text(user, "name", where), user["uid"], _text(user, "home", where)),
        env=dict(env),
        copies=tuple(copies),
        jars=str(data.get("jars", "")),
        jars_dir=str(data.get("jars_dir", "")),
        common=common or load_common(root),
    )
    if not (root / image.requirements).is_file():
        raise BadInput(where, f"{image.requirements} is missing", "Run scripts/lock-images to export it")
    if not image.entrypoint:
        raise BadInput(where, "entrypoint is empty", "Name the program the image runs")
    return image


def excluded(relative: str, patterns: tuple[str, ...]) -> bool:
    parts = relative.split("/")
    for k in range(1, len(parts) + 1):
        prefix = "/".join(parts[:k])
        for pattern in patterns:
            if fnmatchcase(prefix, pattern):
                return True
            if pattern.startswith("**/") and fnmatchcase(parts[k - 1], pattern[3:]):
                return True
    return False


def copied_files(root: Path, image: ImageDef) -> list[tuple[str, str]]:
    """(repository path, image path) of every file the [[copy]] entries bring in, sorted."""
    out = []
    for copy in image.copies:
        source = root / copy.source
        files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
        for path in files:
            relative = path.relative_to(root).as_posix()
            if excluded(relative, image.common.exclude):
                continue
            inner = path.relative_to(source).as_posix() if source.is_dir() else ""
            target = f"{copy.target.rstrip('/')}/{inner}" if inner else copy.target
            out.append((relative, target))
    return sorted(out)


def input_files(root: Path, image: ImageDef) -> list[str]:
    """Every repository file that decides the image's content."""
    files = {COMMON.as_posix(), image.definition.as_posix(), image.requirements.as_posix()}
    files.add(image.common.build_requirements)
    files.update(source for source, _ in copied_files(root, image))
    if image.jars:
        files.add(image.jars)
    return sorted(files)


def select(root: Path, wanted: Sequence[str]) -> list[ImageDef]:
    """The named images (all of them when none is named); an unknown name is bad input."""
    common = load_common(root)
    known = names(root)
    for name in wanted:
        if name not in known:
            raise BadInput(f"image {name}", "not defined", f"Choose one of: {', '.join(known)}")
    return [load(root, name, common) for name in (wanted or known)]
