"""Argument parsing and dispatch for the data commands: sample (masked samples) and validate."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

COMMANDS = ("sample",)


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


def dispatch(root: Path, args: argparse.Namespace) -> int:
    from parity.commands import sample

    return sample.run(args.policy, args.src, args.out, args.format)
