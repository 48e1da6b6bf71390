from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from parity import image_inputs


def test_copy_sources_skip_other_stages_and_flags() -> None:
    dockerfile = (
        "FROM x AS jars\nCOPY devenv/maven/spark/pom.xml /build/pom.xml\nFROM y\n"
        "COPY --from=jars /jars /opt/jars\nCOPY --chown=1:1 pipelines/common \\\n  pipelines/spark /opt/\n"
    )
    assert image_inputs.copy_sources(dockerfile) == [
        "devenv/maven/spark/pom.xml",
        "pipelines/common",
        "pipelines/spark",
    ]


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("pipelines/dags/__pycache__/x.pyc", True),
        ("pipelines/dbt/seeds/customers.csv", True),
        ("pipelines/dbt/seeds/.gitkeep", False),
        ("pipelines/dbt/target/manifest.json", True),
        ("pipelines/dags/finance_month_end_close.py", False),
    ],
)
def test_dockerignore_patterns(repo_root: Path, path: str, ignored: bool) -> None:
    patterns = image_inputs.ignore_patterns((repo_root / ".dockerignore").read_text())
    assert image_inputs.ignored(path, patterns) is ignored


def test_repository_lock_is_fresh(repo_root: Path) -> None:
    assert image_inputs.stale(repo_root) == {}


def test_changed_input_makes_exactly_that_image_stale_until_relocked(repo_root: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    for part in ("images", "lock", "pipelines", "devenv/maven", "k8s/components"):
        shutil.copytree(repo_root / part, repo / part, ignore=shutil.ignore_patterns("__pycache__", "target"))
    shutil.copy2(repo_root / ".dockerignore", repo / ".dockerignore")
    dag = repo / "pipelines/dags/lake_compaction.py"
    dag.write_text(dag.read_text() + "\n# a change\n")
    stale = image_inputs.stale(repo)
    assert list(stale) == ["airflow"]
    assert image_inputs.main(["--repo", str(repo)]) == 1
    assert image_inputs.write(repo) == ["airflow"]
    assert image_inputs.stale(repo) == {}
    assert image_inputs.main(["--repo", str(repo)]) == 0
