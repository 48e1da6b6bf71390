"""The CI/CD workflows: actionlint (the pinned build) passes on every one, each `run:` step is one
call of parity, make or the bootstrap that parity's own parser (or the Makefile) accepts, and the
release path has the steps and limits the platform promises."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from parity import cli

from .conftest import DEVENV, ROOT

WORKFLOWS = ROOT / ".github/workflows"
PARITY = (".devenv/bin/parity", "parity")


def _load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads `on` as true
    return dict(document)


def _steps(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job, step) for job, spec in document["jobs"].items() for step in spec.get("steps", [])]


def _runs() -> list[tuple[str, str]]:
    return [
        (path.name, str(step["run"]))
        for path in sorted(WORKFLOWS.glob("*.yml"))
        for _, step in _steps(_load(path))
        if "run" in step
    ]


def _actionlint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DEVENV / "bin/actionlint"), "-no-color"], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_actionlint_passes_on_every_workflow(devenv: Path) -> None:
    names = sorted(p.name for p in WORKFLOWS.glob("*.yml"))
    assert names == [
        "approve.yml",
        "pr.yml",
        "promote-prod.yml",
        "promote-staging.yml",
        "reap.yml",
        "release.yml",
        "rollback.yml",
    ]
    done = _actionlint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_finds_a_broken_workflow(devenv: Path, tmp_path: Path) -> None:
    """The check above can fail: the same files with one unknown runner label and one bad context."""
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)  # actionlint finds the project by it
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / ".github/actionlint.yaml").write_text((ROOT / ".github/actionlint.yaml").read_text())
    text = (WORKFLOWS / "reap.yml").read_text().replace("polyglot]", "polyglott]")
    text = text.replace("role-to-assume: ${{ vars.", "role-to-assume: ${{ varz.")
    (tmp_path / ".github/workflows/reap.yml").write_text(text)
    done = _actionlint(tmp_path)
    assert done.returncode == 1
    assert 'label "polyglott" is unknown' in done.stdout and 'undefined variable "varz"' in done.stdout


def _words(command: str) -> list[str]:
    assert "\n" not in command.strip(), f"one command per step: {command!r}"
    assert not re.search(r"[;&|`<>]|\$\(", command), f"no shell logic in a step: {command!r}"
    words = shlex.split(command)
    return [re.sub(r"\$\{?[A-Z_]+\}?", "X", w) for w in words]  # an env value stands for one word


@pytest.mark.parametrize(("workflow", "command"), _runs())
def test_each_run_step_calls_only_parity_make_or_the_bootstrap(workflow: str, command: str) -> None:
    words = _words(command)
    if words[0] == "devenv/bootstrap":
        assert words == ["devenv/bootstrap"]
    elif words[0] == "make":
        targets = re.findall(r"^([a-z]+):", (ROOT / "Makefile").read_text(), re.M)
        assert len(words) == 2 and words[1] in targets, command
    else:
        assert words[0] in PARITY, f"{workflow}: {command} calls neither parity, make nor the bootstrap"
        cli.build_parser().parse_args(words[1:])  # exits 2 (fails the test) on what parity would refuse


def test_the_check_above_refuses_logic_in_yaml() -> None:
    for command in (
        "parity check && kubectl apply -f x",
        "aws s3 cp a b",
        "parity promote $(cat id) --to dev",
    ):
        with pytest.raises((AssertionError, SystemExit)):
            test_each_run_step_calls_only_parity_make_or_the_bootstrap("x.yml", command)


def _commands(name: str) -> list[str]:
    return [" ".join(_words(str(s["run"]))) for _, s in _steps(_load(WORKFLOWS / name)) if "run" in s]


def test_the_release_path_has_its_steps_in_order() -> None:
    parity = ".devenv/bin/parity "
    pr = _load(WORKFLOWS / "pr.yml")
    assert set(pr["on"]["pull_request"]["types"]) >= {"opened", "synchronize", "closed"}
    assert _commands("pr.yml") == [
        "devenv/bootstrap",
        "make lint",
        parity + "check",
        parity + "gate all --env dev",
        parity + "env create pr-X --from staging --ttl 8h",
        parity + "diff staging pr-X",
        parity + "report --html parity-report.html --markdown parity-report.md",
        "devenv/bootstrap",
        parity + "env destroy pr-X",
    ]
    comment = [s for _, s in _steps(pr) if "sticky-pull-request-comment" in s.get("uses", "")]
    assert comment and comment[0]["with"]["path"] == "parity-report.md"
    assert any("actions/cache" in s.get("uses", "") for _, s in _steps(pr))

    release = _commands("release.yml")
    order = ["images build", "images verify", "images push", "images sign", "release create"]
    at = [next(i for i, c in enumerate(release) if c.startswith(parity + o)) for o in order]
    assert at == sorted(at), release
    staging = _load(WORKFLOWS / "promote-staging.yml")
    assert "workflow_call" in staging["on"] and staging["jobs"]["validate-staging"]["timeout-minutes"] <= 15
    assert _load(WORKFLOWS / "release.yml")["jobs"]["staging"]["uses"].endswith("promote-staging.yml")
    prod = _load(WORKFLOWS / "promote-prod.yml")
    assert prod["jobs"]["promote"]["environment"] == "production"
    assert parity + "approve X --env X --as X" in _commands("approve.yml")
    assert set(_load(WORKFLOWS / "rollback.yml")["on"]) == {"workflow_dispatch"}
    reap = _load(WORKFLOWS / "reap.yml")
    assert "schedule" in reap["on"] and parity + "env reap" in _commands("reap.yml")


def test_every_action_is_pinned_to_a_commit() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for _, step in _steps(_load(path)):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), (path.name, step["uses"])
