from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEVENV = Path(os.environ.get("PARITY_DEVENV", ROOT / ".devenv"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture
def devenv() -> Path:
    """The bootstrapped toolchain. Missing means bootstrap did not run: fail, do not skip."""
    assert (DEVENV / "stamps").is_dir(), f"{DEVENV} is not bootstrapped; run devenv/bootstrap"
    return DEVENV


@pytest.fixture
def busy_cores() -> Iterator[int]:
    """Another process holding every core for the test's duration (a busy CI machine)."""
    import subprocess
    import sys

    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 2)]
    try:
        yield len(hogs)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


@pytest.fixture
def chdir_tmp(tmp_path: Path) -> Iterator[Path]:
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(previous)


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's tracked files (no .devenv: the real one is used through
    PARITY_DEVENV), for tests that break something on purpose."""
    import shutil
    import subprocess

    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    target = tmp_path / "repo"
    for name in tracked.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    monkeypatch.setenv("PARITY_DEVENV", str(DEVENV))
    return target


@pytest.fixture
def repo_git(repo_copy: Path) -> Path:
    """repo_copy committed as a git repository (for baselines such as `--against HEAD`)."""
    import subprocess

    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=ci", "-c", "user.email=ci@x", "commit", "-qm", "base"],
    ):
        subprocess.run(["git", *args], cwd=repo_copy, check=True, capture_output=True)
    return repo_copy


# The suite's time budget (README "For CI"): no single test may take longer than this, its setup
# (a module fixture such as one `gate all` or one clean build of the four images) included. The
# slowest, the clean build, took 713 s with the verify now left to the changed-package test. A test
# over the budget fails the run by name.
TEST_BUDGET_SECONDS = 900.0
_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _SECONDS[report.nodeid] = _SECONDS.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    slow = sorted((s, n) for n, s in _SECONDS.items() if s > TEST_BUDGET_SECONDS)
    if slow and not hasattr(session.config, "workerinput"):  # the controller judges the whole run
        for seconds, nodeid in slow:
            print(f"\nBUDGET {nodeid} took {seconds:.0f}s > {TEST_BUDGET_SECONDS:.0f}s", flush=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
