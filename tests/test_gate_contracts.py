"""`parity gate schema --against REF`: contracted dbt models against the committed baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parity import cli

pytestmark = pytest.mark.integration

MARTS = Path("pipelines/dbt/models/marts")


def gate(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, set[tuple[str, str]], dict]:
    evidence = repo.parent / "evidence" / "schema.json"
    code = cli.main(["gate", "schema", "--repo", str(repo), "--against", "HEAD", "--evidence", str(evidence)])
    capsys.readouterr()
    document = json.loads(evidence.read_text())
    return code, {(f["subject"], f["rule"]) for f in document["findings"]}, document["summary"]


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_unchanged_project_passes(repo_git: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, found, summary = gate(repo_git, capsys)
    assert code == 0 and found == set() and summary["dbt_baseline"] == "HEAD"


def test_contracted_column_type_changed(repo_git: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replace(
        repo_git / MARTS / "_marts.yml",
        "      - name: mrr\n        data_type: number(18,2)",
        "      - name: mrr\n        data_type: float",
    )
    code, found, _ = gate(repo_git, capsys)
    assert code == 1 and ("fct_mrr.mrr", "type-changed") in found


def test_column_dropped_from_a_mart_used_downstream(
    repo_git: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    yml = repo_git / MARTS / "_marts.yml"
    replace(yml, "      - name: outstanding_amount\n        data_type: number(18,2)\n", "")
    sql = repo_git / MARTS / "fct_invoices.sql"
    replace(sql, ",\n    cast(outstanding_amount as number(18,2)) as outstanding_amount", "")
    code, found, _ = gate(repo_git, capsys)
    assert code == 1 and ("fct_invoices.outstanding_amount", "column-removed") in found


def test_constraint_dropped(repo_git: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replace(
        repo_git / MARTS / "_marts.yml",
        "      - name: merchant_id\n        data_type: number(38,0)\n"
        "        constraints:\n          - type: not_null\n",
        "      - name: merchant_id\n        data_type: number(38,0)\n",
    )
    code, found, _ = gate(repo_git, capsys)
    assert code == 1 and ("dim_merchants.merchant_id", "constraint-dropped") in found


def test_new_model_version_instead_of_a_breaking_change(
    repo_git: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    yml = repo_git / MARTS / "_marts.yml"
    replace(
        yml,
        "  - name: dim_merchants\n",
        "  - name: dim_merchants\n    latest_version: 2\n"
        "    versions:\n      - v: 1\n        defined_in: dim_merchants\n"
        "      - v: 2\n        columns:\n          - include: all\n            exclude: [mcc]\n",
    )
    v1 = (repo_git / MARTS / "dim_merchants.sql").read_text()
    (repo_git / MARTS / "dim_merchants_v2.sql").write_text(
        v1.replace(",\n    cast(mcc as varchar) as mcc", "")
    )
    code, found, summary = gate(repo_git, capsys)
    assert code == 0, found
    assert any(n.startswith("dim_merchants: new version(s) v2") for n in summary["deprecation_notices"])


def test_a_parsed_manifest_is_reused_only_for_the_same_project(
    repo_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parity.gates import contracts
    from parity.gates.workloads import LogKeeper
    from parity.invariants import values_of
    from parity.rendering import render

    monkeypatch.setenv("PARITY_CACHE_DIR", str(tmp_path / "cache"))
    logs = LogKeeper(tmp_path / "logs")
    values = values_of(render(repo_copy, "dev", validate=False).resources)
    first = contracts.manifest(repo_copy, None, values, logs)
    assert sum(1 for n in first["nodes"] if n.startswith("model.")) == 40
    # With dbt gone, only the cache can answer: the same project and values are served from it...
    monkeypatch.setattr(contracts, "venv_bin", lambda *_: tmp_path / "no-dbt")
    assert contracts.manifest(repo_copy, None, values, logs)["nodes"].keys() == first["nodes"].keys()
    # ...but a changed model, or other values, are parsed again (and here cannot be).
    replace(repo_copy / MARTS / "_marts.yml", "data_type: number(18,2)", "data_type: float")
    with pytest.raises(FileNotFoundError):
        contracts.manifest(repo_copy, None, values, logs)
    with pytest.raises(FileNotFoundError):
        contracts.manifest(repo_copy, None, {**values, "FINSIGHT_SNOWFLAKE_DATABASE": "OTHER"}, logs)
