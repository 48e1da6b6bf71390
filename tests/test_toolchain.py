from __future__ import annotations

from pathlib import Path

import pytest

from parity.errors import BadInput
from parity.toolchain import LOCK_PATH, GoTool, MavenTool, PythonTool, Toolchain

# What issue #2 says the toolchain must hold; the lock may hold more, never less.
REQUIRED = {
    "kustomize",
    "kubeconform",
    "kubeconform-schemas",
    "tilt",
    "kube-apiserver",
    "etcd",
    "kafka",
    "spark-jars",
    "localstack",
    "fakesnow",
    "airflow",
    "dbt-core",
    "dbt-snowflake",
    "pyspark",
    "confluent-kafka",
    "postgresql",
}


def test_repository_lock_holds_every_required_tool(repo_root: Path) -> None:
    toolchain = Toolchain.from_toml((repo_root / LOCK_PATH).read_text())
    assert {tool.name for tool in toolchain.tools} >= REQUIRED


def test_kinds_map_to_their_types(repo_root: Path) -> None:
    toolchain = Toolchain.from_toml((repo_root / LOCK_PATH).read_text())
    by_name = {tool.name: tool for tool in toolchain.tools}
    assert isinstance(by_name["kustomize"], GoTool)
    assert isinstance(by_name["kafka"], MavenTool)
    assert isinstance(by_name["airflow"], PythonTool)
    assert by_name["kustomize"].version == "v5.8.1"
    assert by_name["kubeconform"].version == "v0.7.0"


def test_unknown_kind_is_bad_input() -> None:
    with pytest.raises(BadInput, match=r"tools.x: unknown kind 'rpm'"):
        Toolchain.from_toml('[tools.x]\nkind = "rpm"\nversion = "1"\n')


def test_python_tool_needs_a_declared_venv() -> None:
    text = '[tools.x]\nkind = "python"\nversion = "1"\ndistribution = "x"\nvenv = "nope"\n'
    with pytest.raises(BadInput, match="venv 'nope' is not declared"):
        Toolchain.from_toml(text)


def test_missing_field_names_table_and_key() -> None:
    with pytest.raises(BadInput, match=r"tools.k: `module` must be a non-empty string"):
        Toolchain.from_toml('[tools.k]\nkind = "go"\nversion = "v1"\n')


def test_a_go_tools_web_ui_names_its_three_paths(repo_root: Path) -> None:
    tilt = Toolchain.from_toml((repo_root / LOCK_PATH).read_text()).select(["tilt"])[0]
    assert isinstance(tilt, GoTool) and set(tilt.web) == {"dir", "yarn", "assets"}
    text = (
        '[tools.k]\nkind = "go"\nversion = "v1"\nmodule = "m"\npackage = "m/cmd"\nwrapper = "w"\n'
        'binary = "bin/k"\nweb = { dir = "web" }\n'
    )
    with pytest.raises(BadInput, match=r"tools.k: `web` needs exactly dir, yarn and assets"):
        Toolchain.from_toml(text)


def test_malformed_toml_names_the_line() -> None:
    with pytest.raises(BadInput, match=r"line 2"):
        Toolchain.from_toml("schema = 1\n[tools.x\n")


def test_select_unknown_tool_lists_the_known_ones(repo_root: Path) -> None:
    toolchain = Toolchain.from_toml((repo_root / LOCK_PATH).read_text())
    with pytest.raises(BadInput, match=r"Choose from: .*kustomize"):
        toolchain.select(["kustomise"])
    assert [t.name for t in toolchain.select(["etcd", "kafka"])] == ["etcd", "kafka"]
