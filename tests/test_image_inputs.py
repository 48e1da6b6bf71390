"""Which image a change makes stale: the build-input hash follows exactly what the definition reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parity import image_inputs
from parity.oci import definition


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        ("pipelines/dags/__pycache__/x.pyc", True),
        ("pipelines/dbt/seeds/customers.csv", True),
        ("pipelines/dbt/seeds/.gitkeep", False),
        ("pipelines/dbt/target/manifest.json", True),
        ("pipelines/dags/finance_month_end_close.py", False),
    ],
)
def test_exclude_patterns(repo_root: Path, path: str, excluded: bool) -> None:
    common = definition.load_common(repo_root)
    assert definition.excluded(path, common.exclude) is excluded


def test_repository_lock_is_fresh(repo_root: Path) -> None:
    assert image_inputs.stale(repo_root) == {}
    lock = image_inputs.read_lock(repo_root)["images"]
    assert {entry["digest_source"] for entry in lock.values()} == {"oci-build"}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("path", "old", "new", "stale"),
    [
        (
            "pipelines/dags/lake_compaction.py",
            '"revenue-daily"]',
            '"revenue-daily", "fraud-features"]',
            ["airflow"],
        ),
        ("lock/requirements/streaming.txt", "jmespath==1.1.0", "jmespath==1.0.1", ["streaming"]),
        ("pipelines/common/platform_settings.py", '"""', '"""\n', ["airflow", "spark", "streaming"]),
        ("images/dbt/image.toml", 'DBT_SEND_ANONYMOUS_USAGE_STATS = "false"', 'X = "1"', ["dbt"]),
        ("lock/spark-jars.lock", "\n", "\n# re-resolved\n", ["spark"]),
        ("images/common.toml", "1767225600", "1767225601", ["airflow", "dbt", "spark", "streaming"]),
    ],
)
def test_a_change_makes_exactly_the_images_reading_it_stale(
    repo_copy: Path, path: str, old: str, new: str, stale: list[str]
) -> None:
    _edit(repo_copy / path, old, new)
    assert sorted(image_inputs.stale(repo_copy)) == stale
    assert image_inputs.main(["--repo", str(repo_copy)]) == 1


def test_a_re_pinned_base_makes_its_images_stale(repo_copy: Path) -> None:
    lock_path = repo_copy / "lock/images-base.lock.json"
    lock = json.loads(lock_path.read_text())
    lock["bases"]["openjdk-17-jre-headless+procps+python3"]["sha256"] = "0" * 64
    lock_path.write_text(json.dumps(lock))
    assert sorted(image_inputs.stale(repo_copy)) == ["spark"]


def test_files_the_definition_excludes_change_nothing(repo_copy: Path) -> None:
    (repo_copy / "pipelines/dags/__pycache__").mkdir(exist_ok=True)
    (repo_copy / "pipelines/dags/__pycache__/x.cpython-311.pyc").write_bytes(b"\0")
    (repo_copy / "pipelines/dbt/target").mkdir(exist_ok=True)
    (repo_copy / "pipelines/dbt/target/manifest.json").write_text("{}")
    assert image_inputs.stale(repo_copy) == {}
