"""Argument parsing and dispatch for the data commands: sample (masked samples) and validate."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

COMMANDS = ("sample", "validate")


def add_parsers(commands: Any, common: argparse.ArgumentParser, format_option: Any) -> None:
    sample = commands.add_parser(
        "sample",
        parents=[common],
        help="a seeded, stratified, masked sample of one source (what masked_sample_refresh runs)",
    )
    sample.add_argument("--policy", type=Path, required=True, help="the source's masking policy (YAML)")
    sample.add_argument(
        "--in", dest="src", type=Path, required=True, help="the source: a CSV file, or a parquet file or set"
    )
    sample.add_argument("--out", type=Path, required=True, help="the masked sample (.csv or .parquet)")
    format_option(sample)
    validate = commands.add_parser(
        "validate", parents=[common], help="the same input must give the same data: baseline vs candidate"
    )
    kinds = validate.add_subparsers(dest="kind", required=True, metavar="batch")
    batch = kinds.add_parser(
        "batch", parents=[common], help="both sides' dbt models on one masked sample; every relation compared"
    )
    batch.add_argument("--baseline", required=True, help="a release id or git ref")
    batch.add_argument("--candidate", required=True, help="a release id or git ref")
    batch.add_argument(
        "--sample", type=Path, help="masked CSVs, one per raw source (default: the synthetic sources, masked)"
    )
    batch.add_argument("--env", default="dev", help="whose platform values the runs read (default: dev)")
    format_option(batch)


def dispatch(root: Path, args: argparse.Namespace) -> int:
    if args.command == "validate":
        from parity.commands import validate

        return validate.run(root, args.env, args.baseline, args.candidate, args.sample, args.format)
    from parity.commands import sample

    return sample.run(args.policy, args.src, args.out, args.format)
