"""The local stack's shared context: where it lives, its processes, and the one `Stack` value
the bring-up, contents and teardown steps pass around."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from parity.cluster import addons
from parity.cluster import components as c
from parity.cluster.kube import Kube
from parity.cluster.plan import Component, Layout
from parity.devenv import locate
from parity.errors import ParityError

Say = Callable[[str], None]


ENV = "local"


STATE = Path(".parity/local")


IMAGES = Path(".parity/images")


class UpFailed(ParityError):
    exit_code = 1


@dataclass
class Stack:
    root: Path
    layout: Layout
    devenv: Path
    say: Say
    started: list[str] = field(default_factory=list)

    @property
    def kube(self) -> Kube:
        return Kube(self.devenv / "bin" / "kubectl", self.layout)

    @property
    def spark_home(self) -> Path:
        return self.devenv / "venvs" / "spark" / "lib" / "python3.11" / "site-packages" / "pyspark"


def stack(root: Path, say: Say) -> Stack:
    return Stack(root, Layout((root / STATE).resolve()), locate(root), say)


def java_home() -> str:
    java = shutil.which("java")
    return str(Path(java).resolve().parents[1]) if java else ""


def components(s: Stack) -> list[Component]:
    return [
        *c.core_components(s.layout, s.devenv),
        *c.stand_ins(s.layout, s.devenv),
        *addons.operators(s.layout, s.devenv, s.spark_home, java_home()),
    ]


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(text)
    partial.chmod(mode)
    partial.replace(path)
