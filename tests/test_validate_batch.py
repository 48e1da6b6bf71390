"""Batch validation: the diff engine on real DuckDB tables, then `parity validate batch` building
two commits' dbt models on one masked sample in fakesnow and comparing every table."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from parity import cli
from parity.validate import batch, batchdiff, policies, sampling
from tests.conftest import commit_edit

ROOT = Path(__file__).resolve().parent.parent
KEY = b"validate-test-key-0123456789abcdef"


class DuckEngine:
    def __init__(self) -> None:
        self.con = duckdb.connect()
        self.queries: list[str] = []

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        self.queries.append(sql)
        return self.con.execute(sql).fetchall()


@pytest.fixture
def engine() -> DuckEngine:
    e = DuckEngine()
    e.con.execute("create schema a; create schema b")
    e.con.execute(
        "create table a.t as select i as id, cast(i * 1.25 as decimal(18, 2)) as amount, i / 3.0 as score, "
        "'n' || cast(i as varchar) as name from range(100000) r(i)"
    )
    e.con.execute("create table b.t as select * from a.t")
    return e


def _compare(engine: DuckEngine, **options: Any) -> batchdiff.TableDiff:
    return batchdiff.compare(
        engine,
        batchdiff.Table("a", "t"),
        batchdiff.Table("b", "t"),
        batchdiff.Options(key=("id",), **options),
    )


def test_identical_tables_match_and_the_checksums_ran(engine: DuckEngine) -> None:
    result = _compare(engine)
    assert result.match and result.rows_baseline == result.rows_candidate == 100000
    assert any("sum(hash(" in q for q in engine.queries)  # compared, not skipped
    assert not any("full outer join (select *" in q for q in engine.queries)  # no row diff needed


def test_changed_missing_and_extra_rows_are_found_with_values_side_by_side(engine: DuckEngine) -> None:
    engine.con.execute("update b.t set amount = amount + 0.01 where id in (7, 99999)")
    engine.con.execute("update b.t set name = null where id = 500")
    engine.con.execute("delete from b.t where id = 42")
    engine.con.execute("insert into b.t values (100000, 1.00, 0.5, 'new')")
    result = _compare(engine)
    assert not result.match
    found = {(r.key, r.kind): r.columns for r in result.rows}
    assert found == {
        ((7,), "changed"): {"amount": (Decimal("8.75"), Decimal("8.76"))},
        ((42,), "only in baseline"): {
            "amount": (Decimal("52.50"), None),
            "score": (14.0, None),
            "name": ("n42", None),
        },
        ((500,), "changed"): {"name": ("n500", None)},
        ((99999,), "changed"): {"amount": (Decimal("124998.75"), Decimal("124998.76"))},
        ((100000,), "only in candidate"): {
            "amount": (None, Decimal("1.00")),
            "score": (None, 0.5),
            "name": (None, "new"),
        },
    }


def test_float_tolerance_ignored_columns_and_schema_changes(engine: DuckEngine) -> None:
    engine.con.execute("update b.t set score = score + 1e-12 where id < 5000")
    assert not _compare(engine).match  # exact by default
    assert _compare(engine, tolerance=1e-9).match
    engine.con.execute("update b.t set name = 'x'")
    assert _compare(engine, tolerance=1e-9, ignore=frozenset({"name"})).match
    engine.con.execute("alter table b.t add column extra integer")
    result = _compare(engine, tolerance=1e-9, ignore=frozenset({"name"}))
    assert result.schema == ["extra only in candidate"] and not result.match


def test_bisection_descends_only_into_differing_segments(engine: DuckEngine) -> None:
    engine.con.execute("update b.t set amount = 0 where id in (3, 77777)")
    result = _compare(engine, segments=16, row_diff_below=100)
    assert result.levels >= 3 and result.segments_differing == 2
    assert sorted(r.key for r in result.rows) == [(3,), (77777,)]


def test_duplicated_rows_are_not_hidden(engine: DuckEngine) -> None:
    engine.con.execute("insert into b.t select * from b.t where id = 10")
    result = _compare(engine)
    assert result.rows_candidate == 100001 and not result.match


# ---- parity validate batch --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A masked sample, as masked_sample_refresh lands it (the test's own key)."""
    raw, out = tmp_path_factory.mktemp("raw"), tmp_path_factory.mktemp("sample")
    subprocess.run([sys.executable, "-m", "datagen.generate", str(raw)], cwd=ROOT / "pipelines", check=True)
    found = policies.load_all(ROOT)
    for source in batch._order(found):
        sampling.sample(found[source][1], KEY, raw / f"{source}.csv", out / f"{source}.csv")
    return out


def _validate_pair(
    repo: Path, capsys: pytest.CaptureFixture[str], sample: Path, only: str
) -> tuple[int, dict[str, Any]]:
    """HEAD~1 against HEAD on the sample, one half (dbt or spark), as JSON."""
    args = ["--baseline", "HEAD~1", "--candidate", "HEAD", "--sample", str(sample), "--only", only]
    code = cli.main(["validate", "batch", "--repo", str(repo), *args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.integration
def test_a_rounding_change_in_one_model_shows_exactly_the_affected_rows(
    repo_git: Path, sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_edit(
        repo_git,
        "pipelines/dbt/models/marts/fct_payments.sql",
        "cast(amount as number(18,2))",
        "cast(round(amount, 0) as number(18,2))",
        "fct_payments: whole amounts",
    )
    code, report = _validate_pair(repo_git, capsys, sample, "dbt")
    assert code == 1 and not report["ok"]
    relations = {r["relation"]: r for r in report["relations"]}
    assert len(relations) == 14 and all(r["rows"]["baseline"] > 0 for r in relations.values())
    assert [name for name, r in relations.items() if not r["match"]] == ["FCT_PAYMENTS"]
    # Exactly the payments whose masked amount is not whole, each with both values.
    with (sample / "payments.csv").open() as handle:
        amounts = {int(r["payment_id"]): Decimal(r["amount"]) for r in csv.DictReader(handle)}
    assert relations["FCT_PAYMENTS"]["rows"]["baseline"] == len(amounts)
    expected = {pid for pid, amount in amounts.items() if amount != amount.to_integral_value()}
    differences = relations["FCT_PAYMENTS"]["differences"]
    assert {d["key"][0] for d in differences} == expected and len(differences) == len(expected)
    for d in differences:
        assert d["kind"] == "changed" and list(d["columns"]) == ["AMOUNT"]
        before, after = (Decimal(str(v)) for v in d["columns"]["AMOUNT"])
        assert before == amounts[d["key"][0]] and after == before.to_integral_value(rounding="ROUND_HALF_UP")


@pytest.mark.integration
def test_identical_commits_report_no_differences(
    repo_git: Path, sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The dbt half; the Spark half of identical code is the eleven datasets the Spark test below
    must find equal (both sides' 15 jobs cost minutes, so the suite runs them once)."""
    args = ["validate", "batch", "--repo", str(repo_git), "--baseline", "HEAD", "--candidate", "HEAD"]
    assert cli.main([*args, "--sample", str(sample), "--only", "dbt"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].endswith("14 relation(s) compared, no differences")
    assert sum(line.endswith(" rows)") and ": match (" in line for line in out) == 14


# The curated datasets that read payments (the rest must match exactly).
READ_PAYMENTS = {"lake/payments", "lake/payment_failures", "lake/revenue_daily", "lake/merchant_aggregates"}


@pytest.mark.integration
@pytest.mark.timeout(900)  # both sides' 15 Spark jobs: about 5 min alone, more on a busy CI machine
def test_a_rounding_change_in_one_spark_job_shows_exactly_the_affected_rows(
    repo_git: Path, sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    anchor = '    if key == "rate_key":\n'
    rounded = (
        '    if dataset == "payments":\n'
        '        frame = frame.withColumn("amount", F.round("amount", 0).cast("decimal(18,2)"))\n'
    )
    job = "pipelines/spark/finsight_spark/jobs/curation.py"
    commit_edit(repo_git, job, anchor, rounded + anchor, "curate-payments: whole amounts")
    code, report = _validate_pair(repo_git, capsys, sample, "spark")
    assert code == 1
    relations = {r["relation"]: r for r in report["relations"]}
    assert len(relations) == 15 and not report["one_side"]
    differing = {name for name, r in relations.items() if not r["match"]}
    assert "lake/payments" in differing and differing <= READ_PAYMENTS, differing
    # Identical code on both sides gives identical data: every dataset that does not read payments.
    same = [r for name, r in relations.items() if name not in READ_PAYMENTS]
    assert len(same) == 11 and all(r["match"] and r["rows"]["baseline"] > 0 for r in same)
    with (sample / "payments.csv").open() as handle:
        amounts = {int(r["payment_id"]): Decimal(r["amount"]) for r in csv.DictReader(handle)}
    expected = {pid for pid, amount in amounts.items() if amount != amount.to_integral_value()}
    differences = relations["lake/payments"]["differences"]
    assert {d["key"][0] for d in differences} == expected and len(differences) == len(expected)
    assert all(d["kind"] == "changed" and list(d["columns"]) == ["amount"] for d in differences)


def test_bad_refs_and_samples_are_one_line_exit_2(
    repo_git: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["validate", "batch", "--repo", str(repo_git), "--baseline", "HEAD"]
    assert cli.main([*args, "--candidate", "no-such-ref"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--candidate no-such-ref" in err[0]
    assert cli.main([*args, "--candidate", "HEAD", "--sample", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds no masked" in err[0]


def _lake(root: Path, datasets: dict[str, list[dict[str, Any]]]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    for name, rows in datasets.items():
        for day in sorted({r["dt"] for r in rows}):  # hive-partitioned, as the jobs write them
            part = root / name / f"dt={day}"
            part.mkdir(parents=True)
            table = pa.Table.from_pylist(
                [{k: v for k, v in r.items() if k != "dt"} for r in rows if r["dt"] == day]
            )
            pq.write_table(table, part / "part-0.parquet")
    return root


def test_spark_datasets_are_compared_from_their_parquet_with_or_without_a_key(tmp_path: Path) -> None:
    from parity.validate import sparkside

    rows = [{"payment_id": i, "amount": i * 1.5, "dt": f"2026-03-0{1 + i % 3}"} for i in range(1, 301)]
    daily = [{"day": f"d{i}", "total": i, "dt": "2026-03-01"} for i in range(5)]
    base = _lake(tmp_path / "a", {"payments": rows, "revenue_daily": daily, "gone": daily})
    changed = [dict(r, amount=r["amount"] + 1) if r["payment_id"] == 7 else r for r in rows]
    cand = _lake(tmp_path / "b", {"payments": changed, "revenue_daily": daily})
    results, one_side = sparkside.compare(
        {"baseline": base, "candidate": cand}, {"payments": ("payment_id",)}, 0.0, {}
    )
    found = {r.baseline.name: r for r in results}
    assert one_side == ["lake/gone only in baseline"]
    assert (
        found["lake/revenue_daily"].match and found["lake/revenue_daily"].rows_baseline == 5
    )  # every column the key
    payments = found["lake/payments"]
    assert payments.rows_baseline == payments.rows_candidate == 300
    assert [(r.key, r.kind, r.columns) for r in payments.rows] == [
        ((7,), "changed", {"amount": (10.5, 11.5)})
    ]
