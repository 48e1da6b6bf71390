from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from parity import cli
from parity.gates import quality as gate_quality

SPEC = {
    "as_of": "2026-05-01",
    "datasets": {
        "orders": {
            "rows": {"min": 2, "max": 10},
            "unique": ["id"],
            "max_null_rate": {"note": 0.5},
            "accepted_values": {"state": ["new", "paid"]},
            "references": {"customer": "customers.id"},
            "freshness": {"column": "at", "max_age_days": 2},
        },
        "customers": {"rows": {"min": 1}},
    },
}
GOOD = {
    "orders": {
        "id": [1, 2, 3],
        "note": ["a", None, "b"],
        "state": ["new", "paid", "new"],
        "customer": [7, 7, 8],
        "at": [datetime(2026, 4, 30, 9), datetime(2026, 4, 20), datetime(2026, 4, 1)],
    },
    "customers": {"id": [7, 8]},
}


def rules(tables: dict) -> set[tuple[str, str]]:
    return {
        (f.subject, f.rule) for f in gate_quality.check(gate_quality.parse_spec(yaml.safe_dump(SPEC)), tables)
    }


def test_clean_tables_pass() -> None:
    assert rules(GOOD) == set()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"id": [1, 1, 3]}, ("orders.id", "unique")),
        ({"note": [None, None, "b"]}, ("orders.note", "null-rate")),
        ({"state": ["new", "lost", "new"]}, ("orders.state", "accepted-values")),
        ({"customer": [7, 9, 8]}, ("orders.customer", "referential-integrity")),
        ({"at": [datetime(2026, 4, 2)] * 3}, ("orders.at", "freshness")),
    ],
)
def test_each_check_fails_on_its_own(change: dict, expected: tuple[str, str]) -> None:
    assert rules({**GOOD, "orders": {**GOOD["orders"], **change}}) == {expected}


def test_row_bounds_and_missing_outputs() -> None:
    assert rules(
        {"orders": {k: v[:1] for k, v in GOOD["orders"].items()}, "customers": GOOD["customers"]}
    ) >= {("orders", "row-count")}
    assert ("customers", "missing") in rules({"orders": GOOD["orders"]})


@pytest.mark.integration
def test_failing_not_null_test_and_a_source_type_the_spark_job_does_not_write(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    staging = repo_copy / "pipelines/dbt/models/staging/_staging.yml"
    staging.write_text(
        staging.read_text().replace(
            "      - name: payment_status\n",
            "      - name: failure_reason\n        data_tests: [not_null]\n      - name: payment_status\n",
        )
    )
    sources = repo_copy / "pipelines/dbt/models/staging/__sources.yml"
    sources.write_text(
        sources.read_text().replace(
            '{name: balance_usd, data_type: "number(28,2)"}', "{name: balance_usd, data_type: varchar}"
        )
    )
    evidence = repo_copy / "quality.json"
    assert cli.main(["gate", "quality", "--repo", str(repo_copy), "--evidence", str(evidence)]) == 1
    document = json.loads(evidence.read_text())
    failed = [f["subject"] for f in document["findings"] if f["rule"] == "dbt-fail"]
    assert len(failed) == 1 and failed[0].startswith("test.finsight.not_null_stg_payments_failure_reason")
    # dbt build skips what depends on a failed test; the evidence names those too.
    assert {f["rule"] for f in document["findings"]} == {"dbt-fail", "dbt-skipped", "spark-type-mismatch"}
    mismatch = next(f for f in document["findings"] if f["rule"] == "spark-type-mismatch")
    assert mismatch["subject"] == "source curated.daily_balances.balance_usd"
    assert "Spark writes decimal" in mismatch["message"]
    assert document["summary"]["dbt_models"] == 40
    out = capsys.readouterr().out
    assert "FAIL test.finsight.not_null_stg_payments_failure_reason" in out
    kept = Path(document["summary"]["logs"])  # the failed run's dbt and Spark logs, named
    assert (
        f"logs kept in {kept}" in out
        and "not_null_stg_payments_failure_reason" in (kept / "dbt/dbt.log").read_text()
    )


def test_spark_output_against_dbt_source_types() -> None:
    from parity.gates import sources as gate_sources

    sources = {
        "balances": {
            "account_id": "number(38,0)",
            "balance": "number(28,2)",
            "dt": "date",
            "at": "timestamp_ntz",
        }
    }
    good = {
        "balances": {
            "account_id": "int64",
            "balance": "decimal128(28, 2)",
            "dt": "date32",
            "at": "timestamp[us]",
        }
    }
    assert gate_sources.check(sources, good) == []
    bad = {"balances": {"account_id": "string", "balance": "decimal128(28, 4)", "dt": "date32"}}
    assert {(f.subject, f.rule) for f in gate_sources.check(sources, bad)} == {
        ("source curated.balances.account_id", "spark-type-mismatch"),
        ("source curated.balances.balance", "spark-type-mismatch"),
        ("source curated.balances.at", "spark-column-missing"),
    }
    assert [f.rule for f in gate_sources.check(sources, {})] == ["spark-output-missing"]
