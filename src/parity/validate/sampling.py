"""Edge of `parity sample`: read a source (a landed CSV file, a parquet file or set, or a warehouse
table), take its seeded stratified sample, mask it with the policy under the key from Secrets
Manager, and write the sample whole or not at all (to a file, or to S3 as one object).

Only the sampling columns of a parquet source are read for every row; the rest is read for the
kept rows only. A CSV stays text: a passthrough column keeps its exact bytes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from parity import masking
from parity.errors import BadInput
from parity.output import temporary_beside
from parity.validate import places

FORMATS = (".csv", ".parquet")


@dataclass(frozen=True)
class Sampled:
    source: str
    read: int
    kept: int
    columns: int
    dropped: int
    out: str


def fetch_key(policy: masking.MaskingPolicy) -> bytes:
    """The HMAC key from Secrets Manager (the environment's AWS settings; LocalStack locally)."""
    import boto3  # type: ignore[import-untyped]

    grant = "Create the secret (or grant secretsmanager:GetSecretValue on it) in this account"
    with places.aws_errors(policy.key_secret, "Secrets Manager", grant):
        found = boto3.session.Session().client("secretsmanager").get_secret_value(SecretId=policy.key_secret)
    if "SecretString" not in found:
        return bytes(found["SecretBinary"])
    value = str(found["SecretString"])
    if policy.key_property is None:
        return value.encode()
    try:
        return str(json.loads(value)[policy.key_property]).encode()
    except (ValueError, KeyError, TypeError):
        raise BadInput(
            policy.key_secret,
            f"holds no JSON property {policy.key_property!r}",
            "Store the key under that property, or fix key.property in the policy",
        ) from None


def _suffix(path: Path, what: str) -> str:
    suffix = ".parquet" if path.is_dir() else path.suffix
    if suffix not in FORMATS:
        raise BadInput(
            str(path), f"is not a .csv or .parquet {what}", "Pass a CSV file or a parquet file or set"
        )
    return suffix


def sample_rows(
    sampling: masking.Sampling,
    rows: Sequence[Mapping[str, Any]],
    member: Callable[[Mapping[str, Any]], bool] | None = None,
) -> list[int]:
    """The indices kept, in source order: an entity (or, without one, a row) is kept when its seeded
    hash falls under the fraction, so every table keyed by the same entity keeps the same ones; a
    stratum with fewer than min_per_stratum kept rows gets its lowest-hash rows added. With
    `within`, `member` decides (the row's parent is in the parent's sample)."""
    if member is not None:
        return [i for i, row in enumerate(rows) if member(row)]

    def rank(index: int, row: Mapping[str, Any]) -> float:
        subject = row[sampling.entity] if sampling.entity else index
        digest = hashlib.sha256(f"{sampling.seed}\x1f{subject}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    ranks = [rank(i, row) for i, row in enumerate(rows)]
    kept = {i for i, r in enumerate(ranks) if r < sampling.fraction}
    strata: dict[tuple[Any, ...], list[int]] = {}
    for i, row in enumerate(rows):
        strata.setdefault(tuple(row[c] for c in sampling.strata), []).append(i)
    for members in strata.values():
        short = min(sampling.min_per_stratum, len(members)) - sum(1 for i in members if i in kept)
        if short > 0:
            kept.update(sorted((i for i in members if i not in kept), key=ranks.__getitem__)[:short])
    return sorted(kept)


@dataclass(frozen=True)
class _Read:
    names: list[str]  # the source's columns, in its order
    schema: Any  # parquet only
    rows: list[dict[str, Any]]  # the kept rows
    kept: list[int]  # their indices in the source
    total: int


Member = Callable[[Mapping[str, Any]], bool] | None


def _parent(policy: masking.MaskingPolicy, masker: masking.Masker, out: Path, suffix: str) -> Member:
    """With sample.within: a row is kept when its masked key is in the parent's masked sample,
    which must already be beside the output (sample parents first)."""
    if policy.sampling.within is None:
        return None
    source, column = policy.sampling.within
    parent = out.parent / f"{source}{suffix}"
    if not parent.is_file():
        raise BadInput(
            str(parent), f"missing: {policy.source} is sampled within {source}", f"Sample {source} first"
        )
    if suffix == ".csv":
        with parent.open(newline="") as handle:
            values = {row.get(column) for row in csv.DictReader(handle)}
    else:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        values = set(pq.read_table(parent, columns=[column]).column(column).to_pylist())
    domain = str(policy.columns[column].params.get("domain", column))
    return lambda row: masker.tokenize(row[column], domain) in values


def _read_csv(path: Path, policy: masking.MaskingPolicy, member: Member) -> _Read:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        names = list(reader.fieldnames or [])
        policy.check_columns(names, str(path))
        rows: list[dict[str, Any]] = list(reader)
    kept = sample_rows(policy.sampling, rows, member)
    return _Read(names, None, [rows[i] for i in kept], kept, len(rows))


def _read_table(source: places.Table, policy: masking.MaskingPolicy, member: Member) -> _Read:
    names, rows = places.read_table(source)
    policy.check_columns(names, str(source))
    kept = sample_rows(policy.sampling, rows, member)
    return _Read(names, None, [rows[i] for i in kept], kept, len(rows))


def _read_parquet(path: Path, policy: masking.MaskingPolicy, member: Member) -> _Read:
    import pyarrow.dataset as ds  # type: ignore[import-untyped]

    dataset = ds.dataset(path, format="parquet")
    names = list(dataset.schema.names)
    policy.check_columns(names, str(path))
    sampling = policy.sampling
    within = sampling.within[1] if sampling.within else None
    keys = [c for c in dict.fromkeys([sampling.entity, within, *sampling.strata]) if c]
    index_rows = dataset.to_table(columns=keys).to_pylist() if keys else [{}] * dataset.count_rows()
    kept = sample_rows(sampling, index_rows, member)
    table = dataset.to_table().take(kept)
    return _Read(names, table.schema, table.to_pylist(), kept, len(index_rows))


def _out_schema(schema: Any, policy: masking.MaskingPolicy) -> Any:
    import pyarrow as pa

    fields = []
    for item in schema:
        mask = policy.columns[item.name]
        if mask.kind == "drop":
            continue
        keeps_type = pa.types.is_integer(item.type) or pa.types.is_string(item.type)
        if mask.kind in ("email", "phone", "iban") or (mask.kind == "tokenize" and not keeps_type):
            item = item.with_type(pa.string())
        fields.append(item)
    return pa.schema(fields)


def _write(out: Path, suffix: str, rows: list[dict[str, Any]], names: list[str], schema: Any) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_beside(out)
    try:
        if suffix == ".csv":
            with tmp.open("w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=names, lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def check_places(src: str, out: str) -> None:
    """Refuse a malformed table name or S3 URL before anything is fetched."""
    places.table(src)
    places.s3_object(out)


def sample(policy: masking.MaskingPolicy, key: bytes, src: str | Path, out: str | Path) -> Sampled:
    """Sample `src` (a CSV file, a parquet file or set, or table:DATABASE.SCHEMA.TABLE) into `out`
    (a file, or s3://BUCKET/KEY: staged here, then put as one object beside its parents' samples)."""
    target = places.s3_object(str(out))
    if target is None:
        return _sample(policy, key, str(src), Path(out))
    bucket, object_key = target
    with tempfile.TemporaryDirectory(prefix="parity-sample-") as staging:
        local = Path(staging) / PurePosixPath(object_key).name
        if policy.sampling.within is not None:
            parent = f"{policy.sampling.within[0]}{local.suffix}"
            parent_key = str(PurePosixPath(object_key).with_name(parent))
            if not places.s3_get(bucket, parent_key, local.with_name(parent)):
                raise BadInput(
                    f"s3://{bucket}/{parent_key}",
                    f"missing: {policy.source} is sampled within {policy.sampling.within[0]}",
                    f"Sample {policy.sampling.within[0]} into the same prefix first",
                )
        done = _sample(policy, key, str(src), local)
        places.s3_put(local, bucket, object_key)
    return replace(done, out=str(out))


def _sample(policy: masking.MaskingPolicy, key: bytes, src: str, out: Path) -> Sampled:
    source_table = places.table(src)
    if source_table is None and not Path(src).exists():
        raise BadInput(
            src, "does not exist", "Pass the landed CSV, the parquet file or set, or table:DB.SCHEMA.NAME"
        )
    out_suffix = _suffix(out, "output") if out.suffix else ""
    suffix = (out_suffix or ".csv") if source_table is not None else _suffix(Path(src), "source")
    if out_suffix and out_suffix != suffix:
        raise BadInput(str(out), f"must be {suffix} like its source", f"Name the output *{suffix}")
    if out.is_dir():
        raise BadInput(str(out), "is a directory", "Name the output file (the sample is one file)")
    masker = masking.Masker(policy, key)
    member = _parent(policy, masker, out, suffix)
    if source_table is not None:
        read = _read_table(source_table, policy, member)
    else:
        read = (_read_csv if suffix == ".csv" else _read_parquet)(Path(src), policy, member)
    masked = []
    for index, row in zip(read.kept, read.rows, strict=True):
        try:
            masked.append(masker.row(index, row))
        except ValueError as exc:
            raise BadInput(
                f"{src}: row {index + 1}", str(exc), "Fix the value or the column's mask"
            ) from None
    names = [n for n in read.names if policy.columns[n].kind != "drop"]
    _write(out, suffix, masked, names, None if read.schema is None else _out_schema(read.schema, policy))
    dropped = len(read.names) - len(names)
    return Sampled(policy.source, read.total, len(masked), len(names), dropped, str(out))
