"""Bad input to signing: one line, exit 2, before cosign or the registry is asked anything. The
signatures themselves (unsigned, another key, the right key) are checked against a real registry
in tests/test_local_stack.py::test_promotion_refuses_unsigned_and_wrongly_signed_images."""

from __future__ import annotations

from pathlib import Path

import pytest

from parity import cli, signing


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def test_a_missing_public_key_is_named(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = repo_copy / "parity.toml"
    policy.write_text(
        policy.read_text().replace('public_key = "lock/cosign.pub"', 'public_key = "lock/x.pub"')
    )
    assert cli.main(["--repo", str(repo_copy), "images", "sign", "dbt"]) == 2
    lines = _lines(capsys)
    assert len(lines) == 1 and "signing.public_key" in lines[0] and "lock/x.pub" in lines[0], lines


def test_signing_needs_a_signing_table(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = repo_copy / "parity.toml"
    policy.write_text(policy.read_text().split("\n[signing]")[0])
    assert signing.settings(repo_copy) is None  # and promotion then checks nothing
    assert cli.main(["--repo", str(repo_copy), "images", "sign"]) == 2
    lines = _lines(capsys)
    assert len(lines) == 1 and "has no [signing] table" in lines[0], lines


def test_an_unknown_or_unbuilt_image_is_not_pushed(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--repo", str(repo_copy), "images", "push", "dbt", "--registry", "127.0.0.1:9"]) == 2
    lines = _lines(capsys)
    assert len(lines) == 1 and "image dbt" in lines[0] and "built nothing, the lock says sha256:" in lines[0]
    assert cli.main(["--repo", str(repo_copy), "images", "sign", "nosuch"]) == 2  # before the key is read
    lines = _lines(capsys)
    assert len(lines) == 1 and "nosuch" in lines[0] and "is not in lock/images.lock.json" in lines[0], lines


def test_the_reference_reads_the_mirror_instead_of_the_host() -> None:
    repository = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/finsight/dbt"
    assert signing.reference(repository, "sha256:ab", "") == f"{repository}@sha256:ab"
    assert (
        signing.reference(repository, "sha256:ab", "127.0.0.1:5000")
        == "127.0.0.1:5000/finsight/dbt@sha256:ab"
    )
