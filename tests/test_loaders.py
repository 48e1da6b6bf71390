"""Every input parity reads goes through a loader: a syntax or shape error is exit 2 with one line
on stderr naming the file (and the line and field where known), never a traceback or exit 70."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from parity import cli, loaders
from parity.errors import BadInput


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    return code, capsys.readouterr().err


def expect_bad_input(code: int, err: str, names: str) -> None:
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.startswith("parity: ")]
    assert lines and re.search(names, lines[0]), err
    assert "Traceback" not in err and "internal error" not in err, err


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


CHECK_INPUTS: list[tuple[str, Callable[[Path], None], str]] = [
    (
        "images lock syntax",
        lambda r: (r / "lock/images.lock.json").write_text('{"images": {'),
        r"images\.lock\.json:1",
    ),
    (
        "images lock shape",
        lambda r: replace(r / "lock/images.lock.json", '"digest": "sha256:', '"digest": "md5:'),
        r"images\.lock\.json:\d+: `images\.\w+\.digest`",
    ),
    (
        "images lock list",
        lambda r: (r / "lock/images.lock.json").write_text('{"images": []}'),
        r"`images` must be a mapping",
    ),
    (
        "checksums one-word line",
        lambda r: (r / "lock/spark-jars.lock").write_text("deadbeef\n"),
        r"lock/spark-jars\.lock:1: expected `<sha256> <file name>`",
    ),
    (
        "dbt packages.yml syntax",
        lambda r: (r / "pipelines/dbt/packages.yml").write_text("packages:\n  - local: [\n"),
        r"pipelines/dbt/packages\.yml:\d+: not valid YAML",
    ),
    (
        "dbt packages.yml shape",
        lambda r: (r / "pipelines/dbt/packages.yml").write_text("packages: 3\n"),
        r"packages\.yml: `packages` must be a list",
    ),
    (
        "values syntax",
        lambda r: (r / "overlays/staging/values.yaml").write_text("spec: [\n"),
        r"overlays/staging/values\.yaml:\d+",
    ),
    (
        "values shape",
        lambda r: (r / "overlays/prod/values.yaml").write_text("kind: PlatformValues\nspec: 3\n"),
        r"overlays/prod/values\.yaml:2: `spec` must be a mapping",
    ),
    (
        "parity.toml syntax",
        lambda r: (r / "parity.toml").write_text("[promotion\n"),
        r"parity\.toml:1: not valid TOML",
    ),
    (
        "base lock syntax",
        lambda r: (r / "lock/images-base.lock.json").write_text("{"),
        r"lock/images-base\.lock\.json:1: not valid JSON",
    ),
    (
        "image definition",
        lambda r: (r / "images/dbt/image.toml").write_text("name = [\n"),
        r"images/dbt/image\.toml",
    ),
]


@pytest.mark.parametrize(("name", "break_it", "names"), CHECK_INPUTS, ids=[c[0] for c in CHECK_INPUTS])
def test_check_rejects_a_malformed_input(
    repo_copy: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    break_it: Callable[[Path], None],
    names: str,
) -> None:
    break_it(repo_copy)
    expect_bad_input(*run(capsys, "check", "--repo", str(repo_copy)), names)


def test_a_missing_kustomize_is_bad_input(
    repo_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PARITY_DEVENV", str(tmp_path / "no-devenv"))
    expect_bad_input(
        *run(capsys, "render", "dev", "--repo", str(repo_copy)),
        r"kustomize: .* is missing. Run devenv/bootstrap",
    )


def test_a_malformed_tools_lock_is_bad_input(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo_copy / "lock/tools.lock.toml").write_text("[tools.x\n")
    expect_bad_input(*run(capsys, "doctor", "--repo", str(repo_copy)), r"lock/tools\.lock\.toml:1")


GATE_INPUTS: list[tuple[str, str, Callable[[Path], None], str]] = [
    (
        "subjects syntax",
        "schema",
        lambda r: (r / "pipelines/schemas/subjects.yaml").write_text("subjects: {\n"),
        r"subjects\.yaml:\d+: not valid YAML",
    ),
    (
        "subjects shape",
        "schema",
        lambda r: replace(r / "pipelines/schemas/subjects.yaml", "format: avro", "format: protobuf"),
        r"subjects\.yaml:\d+: `subjects\.[\w-]+\.format` is 'protobuf'",
    ),
    (
        "schema JSON",
        "schema",
        lambda r: (r / "pipelines/schemas/events/v2.json").write_text('{"type": "object",'),
        r"pipelines/schemas/events/v2\.json:1: not valid JSON",
    ),
    (
        "quality spec syntax",
        "quality",
        lambda r: (r / "pipelines/spark/quality.yaml").write_text("datasets: [\n"),
        r"quality\.yaml:\d+: not valid YAML",
    ),
    (
        "quality spec shape",
        "quality",
        lambda r: replace(r / "pipelines/spark/quality.yaml", "max_age_days: 3", "max_age_days: soon"),
        r"quality\.yaml:\d+: `datasets\.\w+\.freshness\.max_age_days` must be a whole number",
    ),
    (
        "dbt sources shape",
        "quality",
        lambda r: (r / "pipelines/dbt/models/staging/__sources.yml").write_text("sources: {}\n"),
        r"__sources\.yml:1: `sources` must be a list",
    ),
]


@pytest.mark.parametrize(("name", "gate", "break_it", "names"), GATE_INPUTS, ids=[c[0] for c in GATE_INPUTS])
def test_a_gate_rejects_a_malformed_input_before_running_anything(
    repo_copy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    gate: str,
    break_it: Callable[[Path], None],
    names: str,
) -> None:
    break_it(repo_copy)
    evidence = tmp_path / "evidence.json"
    code, err = run(capsys, "gate", gate, "--repo", str(repo_copy), "--evidence", str(evidence))
    expect_bad_input(code, err, names)
    assert '"gate-error"' in evidence.read_text()


def test_render_never_deletes_a_directory_it_did_not_write(
    repo_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keep = tmp_path / "mine"
    keep.mkdir()
    (keep / "notes.txt").write_text("precious")
    expect_bad_input(
        *run(capsys, "render", "dev", "--repo", str(repo_copy), "-o", str(keep)), r"mine: exists"
    )
    assert (keep / "notes.txt").read_text() == "precious"
    out = tmp_path / "rendered"
    assert run(capsys, "render", "dev", "--repo", str(repo_copy), "-o", str(out))[0] == 0
    assert (
        run(capsys, "render", "prod", "--repo", str(repo_copy), "-o", str(out))[0] == 0
    )  # its own: replaced
    assert (out / ".parity-rendering").read_text() == "prod\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [", r"^f\.yaml:1: not valid YAML"),
        ("{", r"^f\.json:1: not valid JSON"),
        ("x = ]\n", r"^f\.toml:1: not valid TOML"),
    ],
)
def test_parsers_name_file_and_line(text: str, message: str) -> None:
    suffix = re.search(r"\.(\w+):", message)
    assert suffix is not None
    parse = {"yaml": loaders.parse_yaml, "json": loaders.parse_json, "toml": loaders.parse_toml}[
        suffix.group(1)
    ]
    with pytest.raises(BadInput, match=message):
        parse(text, f"f.{suffix.group(1)}")


def test_fields_name_the_field_and_its_line() -> None:
    text = "name: x\nrows:\n  min: many\n"
    fields = loaders.Fields(loaders.parse_yaml(text, "q.yaml"), "q.yaml", text)
    with pytest.raises(BadInput, match=r"^q\.yaml:3: `rows\.min` must be a number, not a string"):
        fields.table("rows").get("min", (int, float))
    with pytest.raises(BadInput, match=r"`owner` is missing"):
        fields.string("owner")
