"""`parity doctor` against the real bootstrapped .devenv, and against shadow copies of it in
which exactly one thing drifted (a corrupted jar, a swapped binary, a changed lock)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from parity import cli

pytestmark = pytest.mark.integration


def shadow(devenv: Path, tmp: Path, own: list[str]) -> Path:
    """A devenv made of symlinks to the real one, except the `own` paths, which are copied."""
    target = tmp / "devenv"
    for entry in devenv.iterdir():
        if any(o == entry.name or o.startswith(entry.name + "/") for o in own):
            continue
        (target / entry.name).parent.mkdir(parents=True, exist_ok=True)
        (target / entry.name).symlink_to(entry)
    for relative in own:
        source, copy = devenv / relative, target / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        for sibling in source.parent.iterdir():  # keep the rest of that directory linked
            if sibling.name != source.name and not (copy.parent / sibling.name).exists():
                (copy.parent / sibling.name).symlink_to(sibling)
        if source.is_dir():
            shutil.copytree(source, copy, symlinks=True)
        else:
            shutil.copy2(source, copy)
    return target


def run_doctor(root: Path, devenv: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setenv("PARITY_DEVENV", str(devenv))
    return cli.main(["doctor", "--repo", str(root), *args])


def test_doctor_passes_after_bootstrap(
    repo_root: Path, devenv: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_doctor(repo_root, devenv, monkeypatch, "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert all(tool["ok"] for tool in report["tools"])
    assert {"kustomize", "kafka", "airflow", "localstack", "postgresql"} <= {
        t["name"] for t in report["tools"]
    }


def test_corrupted_jar_is_named(
    repo_root: Path,
    devenv: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = shadow(devenv, tmp_path, ["jars/kafka"])
    jar = fake / "jars" / "kafka" / "kafka-clients-4.1.1.jar"
    data = bytearray(jar.read_bytes())
    data[len(data) // 2] ^= 0xFF
    jar.write_bytes(bytes(data))
    assert run_doctor(repo_root, fake, monkeypatch) == 1
    captured = capsys.readouterr()
    assert "kafka-clients-4.1.1.jar" in captured.err and "devenv/bootstrap" in captured.err
    assert [line.split()[0] for line in captured.out.splitlines() if "DRIFT" in line] == ["kafka"]


def test_missing_jar_is_named(
    repo_root: Path,
    devenv: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = shadow(devenv, tmp_path, ["jars/spark"])
    (fake / "jars" / "spark" / "hadoop-aws-3.5.0.jar").unlink()
    assert run_doctor(repo_root, fake, monkeypatch, "spark-jars") == 1
    assert "missing hadoop-aws-3.5.0.jar" in capsys.readouterr().err


def test_swapped_binary_is_named(
    repo_root: Path,
    devenv: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = shadow(devenv, tmp_path, ["bin/kustomize"])
    shutil.copy2(devenv / "bin" / "kubeconform", fake / "bin" / "kustomize")
    assert run_doctor(repo_root, fake, monkeypatch, "kustomize", "kubeconform") == 1
    err = capsys.readouterr().err
    assert "kustomize: " in err and "not built from sigs.k8s.io/kustomize/kustomize/v5" in err
    assert "kubeconform:" not in err


def test_swapped_tool_version_in_lock_is_named(
    repo_root: Path,
    devenv: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = tmp_path / "repo"
    for part in ("lock", "devenv"):
        shutil.copytree(repo_root / part, repo / part)
    shutil.copy2(repo_root / "pdm.lock", repo / "pdm.lock")
    lock = repo / "lock" / "tools.lock.toml"
    lock.write_text(lock.read_text().replace('version = "v5.8.1"', 'version = "v5.8.2"', 1))
    assert run_doctor(repo, devenv, monkeypatch, "kustomize") == 1
    assert (
        "built from sigs.k8s.io/kustomize/kustomize/v5 v5.8.1, lock wants v5.8.2" in capsys.readouterr().err
    )


def test_edited_file_in_a_venv_is_named(
    repo_root: Path,
    devenv: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = shadow(devenv, tmp_path, ["venvs/pdm"])
    source = next((fake / "venvs" / "pdm" / "lib").glob("python3.*/site-packages/pdm/__init__.py"))
    source.write_text(source.read_text() + "\n# tampered\n")
    assert run_doctor(repo_root, fake, monkeypatch, "pdm") == 1
    assert "pdm/__init__.py" in capsys.readouterr().err
