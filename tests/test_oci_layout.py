"""Deterministic layers and layouts, image definitions and requirement parsing (no build)."""

from __future__ import annotations

import gzip
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from parity.cli import main
from parity.errors import BadInput
from parity.oci import definition, layout
from parity.oci.requirements import parse_requirements

EPOCH = 1767225600


def make_tree(root: Path, mtime: int, mode: int) -> Path:
    (root / "b").mkdir(parents=True)
    (root / "a.txt").write_text("alpha\n")
    (root / "b" / "z.py").write_text("print('z')\n")
    (root / "b" / "y.sh").write_text("#!/bin/sh\n")
    (root / "b" / "y.sh").chmod(0o755)
    os.link(root / "a.txt", root / "b" / "hard.txt")
    (root / "b" / "link").symlink_to("../a.txt")
    for path in [root / "a.txt", root / "b" / "z.py"]:
        path.chmod(mode)
    for path in sorted(root.rglob("*"), reverse=True):
        os.utime(path, (mtime, mtime), follow_symlinks=False)
    return root


def test_same_tree_gives_the_same_layer_whatever_its_times(tmp_path: Path) -> None:
    one = make_tree(tmp_path / "one", 1_600_000_000, 0o644)
    two = make_tree(tmp_path / "two", 1_700_000_123, 0o644)
    blob1 = layout.write_layer(layout.walk(one), tmp_path / "1.tar.gz", EPOCH)
    blob2 = layout.write_layer(layout.walk(two), tmp_path / "2.tar.gz", EPOCH)
    assert blob1 == blob2
    assert (tmp_path / "1.tar.gz").read_bytes() == (tmp_path / "2.tar.gz").read_bytes()
    with gzip.open(tmp_path / "1.tar.gz") as raw:
        raw.read()
    assert (tmp_path / "1.tar.gz").read_bytes()[4:8] == b"\0\0\0\0"  # gzip header time zero


def test_layer_is_normalised(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "t", 1_600_000_000, 0o600)
    layout.write_layer(
        layout.walk(tree), tmp_path / "l.tar.gz", EPOCH, owner=lambda n: (7, 7) if n == "b" else (0, 0)
    )
    with tarfile.open(tmp_path / "l.tar.gz") as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["a.txt", "b", "b/hard.txt", "b/link", "b/y.sh", "b/z.py"]
    assert {m.mtime for m in members} == {EPOCH}
    assert {(m.uname, m.gname) for m in members} == {("", "")}
    by_name = {m.name: m for m in members}
    assert (by_name["b"].uid, by_name["a.txt"].uid) == (7, 0)
    assert by_name["b/hard.txt"].islnk() and by_name["b/hard.txt"].linkname == "a.txt"
    assert by_name["b/link"].issym() and by_name["b/link"].linkname == "../a.txt"
    assert by_name["b/y.sh"].mode == 0o755 and by_name["a.txt"].mode == 0o600
    assert all("atime" not in m.pax_headers and "ctime" not in m.pax_headers for m in members)


def _layout(tmp_path: Path, name: str, content: str) -> Path:
    tree = tmp_path / f"{name}-tree"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "a.conf").write_text("same\n")
    (tree / "etc" / "b.conf").write_text(content)
    blob = layout.write_layer(layout.walk(tree), tmp_path / f"{name}.tar.gz", EPOCH)
    out = tmp_path / name
    digest = layout.write_layout(
        out,
        "x",
        {"Entrypoint": ["true"]},
        [layout.Layer(blob, tmp_path / f"{name}.tar.gz", "files")],
        "2026-01-01T00:00:00Z",
    )
    assert layout.read_manifest(out)[0] == digest
    return out


def test_layout_digest_is_stable_and_differences_are_named(tmp_path: Path) -> None:
    one, two = _layout(tmp_path, "one", "v1\n"), _layout(tmp_path, "two", "v1\n")
    assert layout.read_manifest(one)[0] == layout.read_manifest(two)[0]
    assert layout.first_difference(one, two) == ""
    three = _layout(tmp_path, "three", "v2\n")
    where = layout.first_difference(one, three)
    assert where.startswith("layer 0 (") and "etc/b.conf differs (content)" in where


def test_requirements_need_hashes() -> None:
    text = (
        "# comment\nfoo-bar==1.2 \\\n    --hash=sha256:"
        + "a" * 64
        + " \\\n    --hash=sha256:"
        + "b" * 64
        + "\n"
        'baz[extra]==2.0 ; python_version >= "3.8" \\\n    --hash=sha256:' + "c" * 64 + "\n"
    )
    text += 'colorama==0.4.6; sys_platform == "win32" or platform_system == "Windows" \\\n'
    text += "    --hash=sha256:" + "d" * 64 + "\n"
    parsed = parse_requirements(text)
    assert [(r.name, r.version, len(r.hashes), r.applies()) for r in parsed] == [
        ("foo-bar", "1.2", 2, True),
        ("baz", "2.0", 1, True),
        ("colorama", "0.4.6", 1, False),
    ]
    assert parsed[1].marker == 'python_version >= "3.8"'
    with pytest.raises(BadInput, match="has no --hash"):
        parse_requirements("qux==1.0\n")


def test_the_four_definitions_load(repo_root: Path) -> None:
    images = {name: definition.load(repo_root, name) for name in definition.names(repo_root)}
    assert set(images) == {"airflow", "dbt", "spark", "streaming"}
    assert images["spark"].base_key == "openjdk-17-jre-headless+procps+python3"
    assert {images[n].base_key for n in ("airflow", "dbt", "streaming")} == {"python3"}
    config = images["airflow"].config()
    assert config["User"] == "50000:50000" and config["Entrypoint"] == ["airflow"]
    copied = [target for _, target in definition.copied_files(repo_root, images["dbt"])]
    assert "/opt/finsight/pipelines/dbt/dbt_packages/finsight_utils/dbt_project.yml" in copied
    assert not any("__pycache__" in t or "/target/" in t or t.endswith(".csv") for t in copied)


def test_bad_definitions_are_one_line_exit_2(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["images", "build", "nosuch", "--repo", str(repo_copy)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "parity: image nosuch: not defined. Choose one of: airflow, dbt, spark, streaming"
    path = repo_copy / "images/dbt/image.toml"
    path.write_text(path.read_text().replace("uid = 50000", "uid = 0"))
    assert main(["images", "build", "dbt", "--repo", str(repo_copy)]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err.startswith("parity: images/dbt/image.toml: [user] needs name, a non-root uid") and "\n" not in err
    )
    path.write_text("repository = [\n")
    assert main(["images", "build", "dbt", "--repo", str(repo_copy)]) == 2
    assert "images/dbt/image.toml: not valid TOML" in capsys.readouterr().err
    shutil.rmtree(repo_copy / "pipelines/schemas")
    assert main(["images", "build", "streaming", "--repo", str(repo_copy)]) == 2
    assert "copy source pipelines/schemas does not exist" in capsys.readouterr().err


def test_run_rejects_bad_env_and_volumes(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["images", "run", "dbt", "--env", "NOEQUALS", "--repo", str(repo_copy), "--", "parse"]) == 2
    assert "--env NOEQUALS: not KEY=VALUE" in capsys.readouterr().err
    assert main(["images", "run", "dbt", "--volume", "relative:/x", "--repo", str(repo_copy)]) == 2
    assert "--volume relative:/x" in capsys.readouterr().err


@pytest.mark.parametrize(
    "line", ["-e git+https://example.invalid/pkg.git#egg=pkg", "foo>=1.0 --hash=sha256:" + "a" * 64, "bar"]
)
def test_a_requirement_line_it_cannot_read_is_bad_input_not_dropped(line: str) -> None:
    with pytest.raises(BadInput, match=r"requirements:2: not a pinned requirement"):
        parse_requirements("# header\n" + line + "\n")


def test_every_locked_requirements_file_parses_whole(repo_root: Path) -> None:
    for path in sorted((repo_root / "lock/requirements").glob("*.txt")):
        lines = [
            line
            for line in path.read_text().replace("\\\n", " ").splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
        assert len(parse_requirements(path.read_text(), path.name)) == len(lines), path.name
