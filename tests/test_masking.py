"""Masked samples: the masks and sampling (pure), then `parity sample` on the datagen tables with
the key in LocalStack's Secrets Manager, as CSV and as the parquet set the raw drops are."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from parity import cli, masking
from parity.errors import BadInput
from parity.stack import Service
from parity.validate import policies, sampling
from tests import conftest

ROOT = Path(__file__).resolve().parent.parent
SECRET = "finsight/masking/sample-key"
KEY = b"0123456789abcdef0123456789abcdef"
# Parents before children (sample.within reads the parent's sample).
ORDER = [
    "customers",
    "merchants",
    "fx_rates",
    "accounts",
    "invoices",
    "kyc_checks",
    "subscriptions",
    "support_tickets",
    "events",
    "transactions",
    "invoice_lines",
    "payments",
]
PII = {"customers": ["company_name", "email", "contact_name", "phone", "iban"]}


def _policy(columns: dict[str, Any], sample: dict[str, Any] | None = None) -> masking.MaskingPolicy:
    data = {"source": "t", "key": {"name": SECRET, "property": "hmac_key"}, "columns": columns}
    return masking.parse_policy({**data, "sample": sample or {}}, "t.yaml")


def _iban_valid(iban: str) -> bool:
    compact = iban.replace(" ", "")
    return int("".join(str(int(c, 36)) for c in compact[4:] + compact[:4])) % 97 == 1


# ---- the masks -------------------------------------------------------------------------------------


def test_tokens_are_keyed_deterministic_and_keep_their_kind() -> None:
    policy = _policy({"id": "tokenize"})
    one, same, other = (
        masking.Masker(policy, KEY),
        masking.Masker(policy, KEY),
        masking.Masker(policy, KEY[::-1]),
    )
    assert one.tokenize(42, "id") == same.tokenize(42, "id") != other.tokenize(42, "id")
    assert isinstance(one.tokenize(42, "id"), int) and 0 <= one.tokenize(42, "id") < 2**62
    assert one.tokenize("42", "id").isdigit() and int(one.tokenize("42", "id")) == one.tokenize(42, "id")
    assert one.tokenize("Ada", "name").startswith("tk_") and one.tokenize("Ada", "a") != one.tokenize(
        "Ada", "b"
    )
    tokens = {one.tokenize(i, "id") for i in range(20000)}
    assert len(tokens) == 20000  # no collisions among twenty thousand keys


def test_format_preserving_email_phone_and_iban() -> None:
    masker = masking.Masker(_policy({"x": "email"}), KEY)
    email = masker.email("finance12@north12.example")
    assert email != "finance12@north12.example" and email.endswith(".example") and email.count("@") == 1
    assert len(email) == len("finance12@north12.example")
    # Keyed on the lower-cased address: the same mailbox in another case masks to the same letters.
    assert masker.email("Finance12@North12.example").lower() == email
    phone = masker.phone("+44 20 6745 2601")
    assert phone.startswith("+44 ") and phone != "+44 20 6745 2601"
    assert [c.isdigit() for c in phone] == [c.isdigit() for c in "+44 20 6745 2601"]
    for iban in ("GB42PQJG26332842319018", "DE89 3704 0044 0532 0130 00"):
        masked = masker.iban(iban)
        assert masked != iban and masked[:2] == iban[:2] and len(masked) == len(iban) and _iban_valid(masked)
        assert [c.isdigit() for c in masked[4:]] == [c.isdigit() for c in iban[4:]]


def test_date_shift_moves_one_entitys_dates_together_and_noise_keeps_decimals() -> None:
    policy = _policy(
        {
            "customer_id": "tokenize",
            "issued_at": {"date_shift": {"entity": "customer_id", "max_days": 10}},
            "due_at": {"date_shift": {"entity": "customer_id", "max_days": 10}},
            "amount": {"noise": {"relative": 0.05}},
        }
    )
    masker = masking.Masker(policy, KEY)
    shifts = set()
    for customer in range(200):
        row = {"customer_id": customer, "issued_at": "2026-01-10 08:00:00", "due_at": "2026-02-09 08:00:00"}
        out = masker.row(0, {**row, "amount": "123.45"})
        issued, due = (datetime.strptime(out[c], "%Y-%m-%d %H:%M:%S") for c in ("issued_at", "due_at"))
        assert (due - issued).days == 30  # the interval survives
        shifts.add((issued - datetime(2026, 1, 10, 8)).days)
        assert out["amount"].count(".") == 1 and len(out["amount"].split(".")[1]) == 2
        assert abs(float(out["amount"]) - 123.45) <= 123.45 * 0.05 + 0.01
    assert 0 not in shifts and shifts <= set(range(-10, 11)) and len(shifts) > 10


def test_sampling_is_seeded_and_every_stratum_is_represented() -> None:
    rows = [{"id": i, "country": "LU" if i == 7 else "GB"} for i in range(1000)]
    plan = masking.Sampling(fraction=0.1, entity="id", strata=("country",), min_per_stratum=1, seed=3)
    kept = sampling.sample_rows(plan, rows)
    assert kept == sampling.sample_rows(plan, rows)  # seeded
    assert 7 in kept and 60 < len(kept) < 140
    other = sampling.sample_rows(masking.Sampling(fraction=0.1, entity="id", seed=4), rows)
    assert set(other) != set(kept)


def test_bad_policies_are_refused_with_one_line() -> None:
    with pytest.raises(BadInput, match="unknown mask 'hash'"):
        _policy({"id": "hash"})
    with pytest.raises(BadInput, match="date_shift needs entity"):
        _policy({"d": "date_shift"})
    with pytest.raises(BadInput, match="key"):
        masking.parse_policy({"source": "t", "columns": {"a": "drop"}}, "t.yaml")
    with pytest.raises(BadInput, match="within"):
        _policy({"id": "tokenize"}, {"within": {"source": "p", "column": "id"}, "fraction": 0.5})


# ---- parity sample, with the key in Secrets Manager ------------------------------------------------


@pytest.fixture(scope="module")
def localstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from conftest.localstack(tmp_path_factory, "secretsmanager")  # type: ignore[misc]


@pytest.fixture
def aws(localstack: Service, monkeypatch: pytest.MonkeyPatch) -> Any:
    import boto3  # type: ignore[import-untyped]

    conftest.use_localstack(localstack.address, monkeypatch, "eu-west-1")
    manager = boto3.session.Session().client("secretsmanager")
    try:
        manager.create_secret(Name=SECRET, SecretString=json.dumps({"hmac_key": KEY.decode()}))
    except manager.exceptions.ResourceExistsException:
        manager.put_secret_value(SecretId=SECRET, SecretString=json.dumps({"hmac_key": KEY.decode()}))
    return manager


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("raw")
    subprocess.run([sys.executable, "-m", "datagen.generate", str(out)], cwd=ROOT / "pipelines", check=True)
    return out


def _sample_all(
    raw: Path, out: Path, capsys: pytest.CaptureFixture[str], suffix: str = ".csv"
) -> dict[str, Any]:
    summaries = {}
    for source in ORDER:
        src = raw / f"{source}.csv" if suffix == ".csv" else raw / source
        args = ["sample", "--policy", str(ROOT / f"pipelines/masking/{source}.yaml"), "--in", str(src)]
        code = cli.main([*args, "--out", str(out / f"{source}{suffix}"), "--format", "json"])
        assert code == 0, capsys.readouterr().err
        summaries[source] = json.loads(capsys.readouterr().out)
    return summaries


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.integration
def test_no_pii_value_leaves_and_joins_still_match(
    aws: Any, raw: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summaries = _sample_all(raw, tmp_path, capsys)
    customers = summaries["customers"]
    assert customers["read"] == 300 and 60 < customers["kept"] < 120 and customers["dropped"] == 1
    assert summaries["fx_rates"]["kept"] == summaries["fx_rates"]["read"] == 720
    # Byte-wise: no PII value of the source appears anywhere in any output file.
    output = b"".join(p.read_bytes() for p in sorted(tmp_path.glob("*.csv")))
    source = _rows(raw / "customers.csv")
    leaked = [(c, r[c]) for r in source for c in PII["customers"] if r[c].encode() in output]
    assert not leaked, leaked[:5]
    assert b"Lovelace" not in output and b"north1.example" not in output  # nor their parts
    # Joins: every child key is a kept parent, and each kept parent keeps all of its children.
    masked = {s: _rows(tmp_path / f"{s}.csv") for s in ORDER}
    ids = {r["customer_id"] for r in masked["customers"]}
    assert {r["customer_id"] for r in masked["accounts"]} <= ids
    account_ids = {r["account_id"] for r in masked["accounts"]}
    assert {r["account_id"] for r in masked["transactions"]} <= account_ids
    assert {r["invoice_id"] for r in masked["invoice_lines"]} <= {r["invoice_id"] for r in masked["invoices"]}
    raw_accounts = _rows(raw / "accounts.csv")
    per_customer: dict[str, int] = {}
    for row in raw_accounts:
        per_customer[row["customer_id"]] = per_customer.get(row["customer_id"], 0) + 1
    masker = masking.Masker(policies.load_policy(ROOT / "pipelines/masking/accounts.yaml"), KEY)
    token = {masker.tokenize(c, "customer_id"): n for c, n in per_customer.items()}
    masked_per_customer: dict[str, int] = {}
    for row in masked["accounts"]:
        masked_per_customer[row["customer_id"]] = masked_per_customer.get(row["customer_id"], 0) + 1
    assert masked_per_customer == {c: token[c] for c in ids if c in token}
    # Every kept customer's country/segment stratum is in the sample, rare ones included.
    strata = {(r["country"], r["segment"]) for r in source}
    assert {(r["country"], r["segment"]) for r in masked["customers"]} == strata
    # IBANs are still valid IBANs; emails still emails.
    assert all(_iban_valid(r["iban"]) and "@" in r["email"] for r in masked["customers"])


@pytest.mark.integration
def test_same_key_same_tokens_and_a_rotated_key_changes_them(
    aws: Any, raw: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = str(ROOT / "pipelines/masking/customers.yaml")
    run = ["sample", "--policy", policy, "--in", str(raw / "customers.csv"), "--out"]
    assert cli.main([*run, str(tmp_path / "a" / "customers.csv")]) == 0
    assert cli.main([*run, str(tmp_path / "b" / "customers.csv")]) == 0
    first = (tmp_path / "a" / "customers.csv").read_bytes()
    assert first == (tmp_path / "b" / "customers.csv").read_bytes()
    aws.put_secret_value(
        SecretId=SECRET, SecretString=json.dumps({"hmac_key": "another-key-of-32-bytes-length!!"})
    )
    assert cli.main([*run, str(tmp_path / "c" / "customers.csv")]) == 0
    rotated = _rows(tmp_path / "c" / "customers.csv")
    before = {r["customer_id"] for r in _rows(tmp_path / "a" / "customers.csv")}
    assert not before & {r["customer_id"] for r in rotated}
    assert "sampled" in capsys.readouterr().err


@pytest.mark.integration
def test_the_parquet_drops_give_the_same_tokens_as_the_csv(
    aws: Any, raw: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The raw bucket's layout: landing/<table>/part-*.parquet, every column a string."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.csv as pacsv  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    drops = tmp_path / "landing"
    for source in ORDER:
        header = (raw / f"{source}.csv").open().readline().strip().split(",")
        options = pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True
        )
        table = pacsv.read_csv(raw / f"{source}.csv", convert_options=options)
        (drops / source).mkdir(parents=True)
        half = table.num_rows // 2
        pq.write_table(table.slice(0, half), drops / source / "part-00000.parquet")
        pq.write_table(table.slice(half), drops / source / "part-00001.parquet")
    _sample_all(drops, tmp_path / "parquet", capsys, suffix=".parquet")
    _sample_all(raw, tmp_path / "csv", capsys)
    for source in ("customers", "transactions", "payments"):
        table = pq.read_table(tmp_path / "parquet" / f"{source}.parquet")
        assert all(pa.types.is_string(t) for t in table.schema.types)
        from_csv = _rows(tmp_path / "csv" / f"{source}.csv")
        from_parquet = [{k: "" if v is None else v for k, v in row.items()} for row in table.to_pylist()]
        assert from_parquet == from_csv, source


@pytest.mark.integration
def test_a_policy_missing_a_column_fails_naming_it(
    aws: Any, raw: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "customers.yaml"
    text = (ROOT / "pipelines/masking/customers.yaml").read_text()
    policy.write_text(text.replace("  iban: iban\n", ""))
    out = tmp_path / "out" / "customers.csv"
    code = cli.main(
        ["sample", "--policy", str(policy), "--in", str(raw / "customers.csv"), "--out", str(out)]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "column iban of customers not classified" in err[0]
    assert not out.exists() and not list(tmp_path.glob("out/*"))  # nothing half-written
    policy.write_text(text.replace("  iban: iban\n", "  iban: iban\n  vat_number: drop\n"))
    assert (
        cli.main(["sample", "--policy", str(policy), "--in", str(raw / "customers.csv"), "--out", str(out)])
        == 2
    )
    assert "vat_number, which customers does not have" in capsys.readouterr().err


@pytest.mark.integration
def test_a_missing_key_is_one_line_and_exit_2(
    aws: Any, raw: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "customers.yaml"
    policy.write_text(
        (ROOT / "pipelines/masking/customers.yaml").read_text().replace(SECRET, "finsight/none")
    )
    args = [
        "sample",
        "--policy",
        str(policy),
        "--in",
        str(raw / "customers.csv"),
        "--out",
        str(tmp_path / "o.csv"),
    ]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "finsight/none" in err[0] and "ResourceNotFoundException" in err[0]


@pytest.mark.parametrize(
    ("src", "out", "said"),
    [
        ("table:RAW.LANDING", "o.csv", "is not a table name"),
        ("table:RAW.LANDING.CUSTOMERS; drop table x", "o.csv", "is not a table name"),
        ("table:RAW.LANDING.CUSTOMERS", "s3://bucket-only", "names no object"),
    ],
)
def test_a_bad_table_or_s3_place_is_one_line_and_exit_2_before_any_fetch(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    src: str,
    out: str,
    said: str,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: a fetch would fail
    policy = str(ROOT / "pipelines/masking/customers.yaml")
    assert cli.main(["sample", "--policy", policy, "--in", src, "--out", out]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0], err


def test_a_table_without_the_warehouse_settings_names_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in (
        "FINSIGHT_SNOWFLAKE_ACCOUNT",
        "FINSIGHT_SNOWFLAKE_HOST",
        "DBT_ENV_SECRET_SNOWFLAKE_PASSWORD",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("FINSIGHT_SNOWFLAKE_USER", "svc")
    policy = policies.load_policy(ROOT / "pipelines/masking/customers.yaml")
    with pytest.raises(BadInput) as raised:
        sampling.sample(policy, b"k" * 32, "table:RAW.LANDING.CUSTOMERS", "o.csv")
    assert "DBT_ENV_SECRET_SNOWFLAKE_PASSWORD, FINSIGHT_SNOWFLAKE_ACCOUNT, FINSIGHT_SNOWFLAKE_HOST" in str(
        raised.value
    )


# ---- parity check: a policy per raw source ---------------------------------------------------------


def test_check_fails_when_a_raw_source_has_no_policy(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo_copy / "pipelines/masking/events.yaml").unlink()
    assert cli.main(["check", "--repo", str(repo_copy), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    [finding] = [v for v in report["violations"] if v["rule"] == "masking-policy"]
    assert finding["resource"].endswith("#raw.events") and "no masking policy" in finding["message"]


def test_check_refuses_a_malformed_policy(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = repo_copy / "pipelines/masking/events.yaml"
    path.write_text(path.read_text().replace("payload_size: passthrough", "payload_size: blur"))
    assert cli.main(["check", "--repo", str(repo_copy)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pipelines/masking/events.yaml" in err[0] and "unknown mask 'blur'" in err[0]


def test_every_policy_covers_exactly_the_landed_columns(raw: Path) -> None:
    """The repository's policies against the landed tables' headers (the datagen shapes)."""
    found = policies.load_all(ROOT)
    assert sorted(found) == sorted(ORDER) == sorted(policies.raw_sources(ROOT))
    for source, (relative, policy) in found.items():
        header = (raw / f"{source}.csv").open().readline().strip().split(",")
        policy.check_columns(header, str(relative))
