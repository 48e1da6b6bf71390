"""A second bootstrap on a bootstrapped machine installs nothing: every step is up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bootstrap_module", Path(__file__).parent.parent / "devenv/bootstrap.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    steps = [
        module.Step(label, lambda: "", [], lambda: None)
        for label in ("machine tools", "venv pdm", "go tilt", "maven kafka", "go etcd")
    ]
    assert [s.lane for s in steps] == ["machine", "fetch", "build", "fetch", "build"]
    plan = module.Plan(steps, tmp_path)  # no stamps yet: every step is to do
    assert plan.left() == "5 step(s) left, about 7 min"  # the build lane: tilt 393s + etcd 47s
    module.record_timing("go tilt", 60)  # this machine's own timing wins
    plan.done(steps[0])
    assert plan.left() == "4 step(s) left, about 2 min"
