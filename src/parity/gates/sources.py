"""Spark outputs against the dbt sources that read them. Pure: it takes the dbt source columns
(name -> declared data_type) and the Arrow type strings of what each Spark job wrote."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from parity import loaders
from parity.findings import Finding

DBT_SOURCE_FILE = Path("pipelines/dbt/models/staging/__sources.yml")


def family(data_type: str) -> tuple[str, int | None]:
    """A Snowflake data type as (family, scale) - scale only for fixed-point numbers."""
    text = data_type.lower().strip()
    number = re.fullmatch(r"(number|numeric|decimal)\s*(\(\s*\d+\s*(,\s*(\d+)\s*)?\))?", text)
    if number:
        return "fixed", int(number.group(4) or 0)
    if text in {"int", "integer", "bigint", "smallint", "tinyint"}:
        return "fixed", 0
    for name, words in (
        ("float", ("float", "double", "real")),
        ("text", ("varchar", "string", "text", "char")),
        ("timestamp", ("timestamp",)),
        ("date", ("date",)),
        ("boolean", ("boolean", "bool")),
    ):
        if text.startswith(words):
            return name, None
    return text, None


def arrow_family(arrow_type: str) -> tuple[str, int | None]:
    text = arrow_type.lower()
    decimal = re.fullmatch(r"decimal\d*\(\s*\d+\s*,\s*(\d+)\s*\)", text)
    if decimal:
        return "fixed", int(decimal.group(1))
    if re.fullmatch(r"u?int\d+", text):
        return "fixed", 0
    for name, prefixes in (
        ("float", ("float", "double", "halffloat")),
        ("text", ("string", "large_string")),
        ("timestamp", ("timestamp",)),
        ("date", ("date",)),
        ("boolean", ("bool",)),
    ):
        if text.startswith(prefixes):
            return name, None
    return text, None


def check(
    sources: Mapping[str, Mapping[str, str]], outputs: Mapping[str, Mapping[str, str]]
) -> list[Finding]:
    out: list[Finding] = []
    for table, columns in sorted(sources.items()):
        written = outputs.get(table)
        if written is None:
            out.append(
                Finding(
                    f"source curated.{table}",
                    "spark-output-missing",
                    "no Spark job wrote this dataset",
                )
            )
            continue
        for column, declared in sorted(columns.items()):
            subject = f"source curated.{table}.{column}"
            if column not in written:
                out.append(
                    Finding(subject, "spark-column-missing", f"the Spark output has no column {column}")
                )
            elif family(declared) != arrow_family(written[column]):
                out.append(
                    Finding(
                        subject,
                        "spark-type-mismatch",
                        f"dbt declares {declared}, Spark writes {written[column]}",
                    )
                )
    return out


def curated_sources(root: Path) -> dict[str, dict[str, str]]:
    """The dbt source `curated` (external tables over the Spark outputs): table -> column -> data_type."""
    source = str(DBT_SOURCE_FILE)
    text = loaders.read_text(root / DBT_SOURCE_FILE, source)
    document = loaders.Fields(loaders.parse_yaml(text, source), source, text)
    out: dict[str, dict[str, str]] = {}
    for index, entry in enumerate(document.get("sources", list)):
        fields = loaders.Fields(entry, source, text, f"sources[{index}]")
        if fields.string("name") != "curated":
            continue
        for position, table in enumerate(fields.get("tables", list, [])):
            t = loaders.Fields(table, source, text, f"sources[{index}].tables[{position}]")
            columns = [
                loaders.Fields(c, source, text, f"{t.prefix}.columns") for c in t.get("columns", list, [])
            ]
            out[t.string("name")] = {c.string("name"): c.string("data_type") for c in columns}
    return out
