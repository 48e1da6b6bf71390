"""A second bootstrap on a bootstrapped machine installs nothing: every step is up to date."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def test_rerun_installs_nothing(repo_root: Path, devenv: Path) -> None:
    done = subprocess.run([repo_root / "devenv" / "bootstrap"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = [line for line in done.stdout.splitlines() if line.startswith("[")]
    assert len(steps) >= 10
    assert all(line.rstrip().endswith("s)") and ("up to date" in line or " ok " in line) for line in steps), (
        done.stdout
    )
    assert "installing" not in done.stdout


def test_go_builds_and_downloads_run_in_separate_lanes_with_an_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARITY_CACHE_DIR", str(tmp_path))
    module: Any = _devenv_module("bootstrap")
    steps = [
        module.Step(label, lambda: "", [], lambda: None)
        for label in ("machine tools", "venv pdm", "go tilt", "maven kafka", "go etcd")
    ]
    assert [s.lane for s in steps] == ["machine", "fetch", "build", "fetch", "build"]
    plan = module.Plan(steps, tmp_path)  # no stamps yet: every step is to do
    assert plan.left() == "5 step(s) left, about 13 min"  # the build lane: tilt 720s (web UI too) + etcd 47s
    module.record_timing("go tilt", 60)  # this machine's own timing wins
    plan.done(steps[0])
    assert plan.left() == "4 step(s) left, about 2 min"


def _devenv_module(name: str) -> object:
    """devenv/NAME.py, which is no package (bootstrap runs before parity is installed)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        f"{name}_module", Path(__file__).parent.parent / f"devenv/{name}.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_pin_the_debian_mirror_no_longer_offers_is_named_with_what_it_offers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Debian's security suite keeps only its newest build (chromium moved under the lock once):
    the step says which pin is gone and what to re-pin it to, instead of apt's "not found"."""
    from parity.toolchain import DebianTool

    module: Any = _devenv_module("bootstrap")
    (tmp_path / "apt-cache").write_text(
        "#!/bin/sh\n"
        '[ "$2" = chromium ] || exit 0\n'
        "echo '  chromium | 156.0.8078.129-1~deb12u1 | http://deb.debian.org/debian-security "
        "bookworm-security/main amd64 Packages'\n"
        "echo '  chromium | 150.0.7871.100-1~deb12u1 | http://deb.debian.org/debian bookworm/main "
        "amd64 Packages'\n"
    )
    (tmp_path / "apt-cache").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    gone = DebianTool(name="chromium", version="156.0.8078.114-1~deb12u1", purpose="", package="chromium")
    with pytest.raises(module.StepFailed) as failed:
        module.require_offered(gone)
    assert str(failed.value) == (
        "chromium=156.0.8078.114-1~deb12u1 is no longer on the Debian mirror (it offers "
        "156.0.8078.129-1~deb12u1, 150.0.7871.100-1~deb12u1; security updates replace older builds): "
        "re-pin [tools.chromium] version in lock/tools.lock.toml to one of those, on purpose"
    )
    module.require_offered(DebianTool(name="chromium", version="150.0.7871.100-1~deb12u1", purpose="",
                                      package="chromium"))  # fmt: skip
    unknown = DebianTool(name="nothing", version="1", purpose="", package="no-such-package")
    module.require_offered(unknown)  # nothing listed: apt itself says what is wrong


def test_the_store_gives_a_second_checkout_what_the_first_built(tmp_path: Path) -> None:
    store = _devenv_module("store").Store(tmp_path / "store")  # type: ignore[attr-defined]
    first, second = tmp_path / "a/.devenv", tmp_path / "b/.devenv"
    (first / "jars").mkdir(parents=True)
    (first / "jars/kafka.jar").write_bytes(b"jar")
    assert not store.take("maven kafka", "f" * 64, second / "jars")  # nothing kept yet
    store.keep("maven kafka", "f" * 64, first / "jars")
    assert store.take("maven kafka", "f" * 64, second / "jars")
    assert (second / "jars/kafka.jar").read_bytes() == b"jar"
    assert not store.take("maven kafka", "e" * 64, second / "jars")  # another stamp: another entry
    (first / "bin").mkdir()
    (first / "bin/kustomize").write_bytes(b"binary")
    store.keep("go kustomize", "a" * 64, first / "bin/kustomize")
    (second / "bin").mkdir()
    (second / "bin/kustomize").write_bytes(b"old")
    assert store.take("go kustomize", "a" * 64, second / "bin/kustomize")
    assert (second / "bin/kustomize").read_bytes() == b"binary"


def test_a_shared_venv_is_linked_and_an_unfinished_one_is_built_again(tmp_path: Path) -> None:
    store = _devenv_module("store").Store(tmp_path / "store")  # type: ignore[attr-defined]
    builds: list[Path] = []

    def build(at: Path) -> None:
        builds.append(at)
        (at / "bin").mkdir(parents=True)
        (at / "bin/python").write_text("#!")

    link_a, link_b = tmp_path / "a/venvs/dbt", tmp_path / "b/venvs/dbt"
    assert not store.venv("venv dbt", "1" * 64, link_a, None)  # none stored, none to build
    assert store.venv("venv dbt", "1" * 64, link_a, build)
    assert store.venv("venv dbt", "1" * 64, link_b, None)  # the second checkout builds nothing
    assert len(builds) == 1 and link_a.resolve() == link_b.resolve() == builds[0]
    (builds[0] / ".complete").unlink()  # as if the first build had been interrupted
    assert not store.venv("venv dbt", "1" * 64, link_b, None)
    assert store.venv("venv dbt", "1" * 64, link_b, build) and len(builds) == 2
    link_a.unlink()
    link_a.mkdir()  # a venv an older bootstrap built in the checkout is replaced by the link
    assert store.venv("venv dbt", "1" * 64, link_a, None) and link_a.is_symlink()


def test_entries_unused_for_a_month_are_pruned(tmp_path: Path) -> None:
    import os
    import time

    store = _devenv_module("store").Store(tmp_path / "store")  # type: ignore[attr-defined]
    (tmp_path / "out").write_text("x")
    store.keep("go old", "1" * 64, tmp_path / "out")
    store.keep("go new", "2" * 64, tmp_path / "out")
    old = store.entry("go old", "1" * 64) / ".complete"
    month_ago = time.time() - 31 * 86400
    os.utime(old, (month_ago, month_ago))
    assert store.prune() == [store.entry("go old", "1" * 64).name]
    assert store.take("go new", "2" * 64, tmp_path / "copy") and not store.take(
        "go old", "1" * 64, tmp_path / "c"
    )
