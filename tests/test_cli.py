from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from parity import cli
from parity.commands import doctor


def test_help_lists_only_built_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    assert "doctor" in capsys.readouterr().out
    subcommands = next(
        action for action in cli.build_parser()._actions if isinstance(action, argparse._SubParsersAction)
    )
    # Commands from the contract that are not built yet are absent, not stubs.
    assert set(subcommands.choices) == {
        "doctor",
        "render",
        "diff",
        "check",
        "lint",
        "gate",
        "images",
        "up",
        "down",
        "status",
        "release",
        "approve",
        "promote",
        "rollback",
        "audit",
        "sample",
        "validate",
        "infra",
        "env",
        "report",
    }


def test_unknown_command_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["promot"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_not_a_repository_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["doctor", "--repo", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no lock/tools.lock.toml here" in err and "--repo" in err


def test_internal_error_is_one_line_exit_70_and_traceback_only_with_v(
    repo_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def explode(*args: object, **kwargs: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(doctor, "run", explode)
    assert cli.main(["doctor", "--repo", str(repo_root)]) == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RuntimeError: boom" in err and "Traceback" not in err
    assert cli.main(["doctor", "-v", "--repo", str(repo_root)]) == 70
    assert "Traceback" in capsys.readouterr().err


def test_unknown_tool_name_is_exit_2(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["doctor", "--repo", str(repo_root), "kustomise"]) == 2
    assert "kustomise: not in lock/tools.lock.toml" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["release", "show", "latest"], "latest: is not a release id"),
        (["promote", "r-0000000000000000", "--to", "qa"], "qa: unknown environment"),
        (["rollback", "prod", "--to", "v2"], "v2: is not a release id"),
        (["release", "show", "r-0000000000000000"], "release r-0000000000000000"),
    ],
)
def test_release_commands_reject_bad_input_in_one_line_exit_2(
    argv: list[str],
    says: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PARITY_STATE", str(tmp_path))
    assert cli.main([*argv, "--repo", str(Path(__file__).parent.parent)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0], err
