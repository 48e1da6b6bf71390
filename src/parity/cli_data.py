"""Argument parsing and dispatch for the data and infrastructure commands: sample (masked samples),
validate, and infra (declared infrastructure against live state)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

COMMANDS = ("sample", "validate", "infra")


def add_parsers(commands: Any, common: argparse.ArgumentParser, format_option: Any) -> None:
    sample = commands.add_parser(
        "sample",
        parents=[common],
        help="a seeded, stratified, masked sample of one source (what masked_sample_refresh runs)",
    )
    sample.add_argument("--policy", type=Path, required=True, help="the source's masking policy (YAML)")
    sample.add_argument(
        "--in",
        dest="src",
        required=True,
        help="the source: a CSV file, a parquet file or set, or a table: table:DATABASE.SCHEMA.TABLE",
    )
    sample.add_argument(
        "--out", required=True, help="the masked sample (.csv or .parquet): a file, or s3://BUCKET/KEY"
    )
    format_option(sample)
    infra = commands.add_parser(
        "infra",
        parents=[common],
        help="declared infrastructure vs live state: the AWS stack, Kafka topics, Snowflake objects",
    )
    infra.add_argument("action", choices=("plan", "apply"), help="plan: what differs; apply: change it")
    infra.add_argument("env", help="whose values.yaml declarations")
    infra.add_argument(
        "--bootstrap-servers", help="the brokers to read and change (default: the env's, if PLAINTEXT)"
    )
    infra.add_argument(
        "--only",
        action="append",
        choices=("aws", "topics", "snowflake"),
        help="one part (repeatable; default: all)",
    )
    infra.add_argument(
        "--snowflake-stand-in", metavar="HOST:PORT", help="a fakesnow server instead of the env's account"
    )
    infra.add_argument(
        "--aws-endpoint-url", help="the AWS endpoint (LocalStack locally; default: AWS, or $AWS_ENDPOINT_URL)"
    )
    format_option(infra)
    validate = commands.add_parser(
        "validate", parents=[common], help="the same input must give the same data: baseline vs candidate"
    )
    kinds = validate.add_subparsers(dest="kind", required=True, metavar="batch|stream")
    batch = kinds.add_parser(
        "batch", parents=[common], help="both sides' dbt models and Spark jobs on one masked sample, compared"
    )
    batch.add_argument("--baseline", required=True, help="a release id or git ref")
    batch.add_argument("--candidate", required=True, help="a release id or git ref")
    batch.add_argument(
        "--sample", type=Path, help="masked CSVs, one per raw source (default: the synthetic sources, masked)"
    )
    batch.add_argument("--env", default="dev", help="whose platform values the runs read (default: dev)")
    batch.add_argument(
        "--only", choices=("dbt", "spark"), help="compare only the dbt models or only the Spark jobs"
    )
    format_option(batch)
    stream = kinds.add_parser(
        "stream", parents=[common], help="both sides' consumers on one replayed masked event sample"
    )
    stream.add_argument("--baseline", required=True, help="a release id or git ref")
    stream.add_argument("--candidate", required=True, help="a release id or git ref")
    source = stream.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--events", type=Path, help='the recorded sample: JSON lines {"subject", "key", "value"}'
    )
    source.add_argument(
        "--topic", help="record the sample from this live topic instead (with --bootstrap-servers)"
    )
    stream.add_argument("--bootstrap-servers", help="the broker holding --topic")
    stream.add_argument("--subject", help="--topic's subject (pipelines/schemas/subjects.yaml)")
    stream.add_argument(
        "--offsets", default="0:1000", help="--topic's range per partition, START:END (default 0:1000)"
    )
    stream.add_argument("--env", default="dev", help="whose platform values and partitions (default: dev)")
    format_option(stream)


def _recording(args: argparse.Namespace) -> list[Any]:
    from parity.errors import BadInput
    from parity.validate import stream

    if args.events is not None:
        return stream.load_recording(args.events)
    start, _, end = args.offsets.partition(":")
    if not (args.bootstrap_servers and args.subject and start.isdigit() and end.isdigit()):
        raise BadInput(
            f"--topic {args.topic}", "needs --bootstrap-servers, --subject and --offsets START:END",
            "Give all three, or record the sample to a file and pass --events",
        )  # fmt: skip
    return stream.record_topic(args.bootstrap_servers, args.topic, args.subject, int(start), int(end))


def dispatch(root: Path, args: argparse.Namespace) -> int:
    if args.command == "infra":
        from parity.cli import load_policy
        from parity.commands import infra

        return infra.run(
            root, load_policy(root), args.action, args.env, args.only,
            args.bootstrap_servers, args.aws_endpoint_url, args.snowflake_stand_in, args.format,
        )  # fmt: skip
    if args.command == "validate" and args.kind == "stream":
        from parity.cli import load_policy
        from parity.commands import validate_stream

        return validate_stream.run(
            root, load_policy(root), args.env, args.baseline, args.candidate, _recording(args), args.format
        )
    if args.command == "validate":
        from parity.commands import validate

        return validate.run(
            root, args.env, args.baseline, args.candidate, args.sample, args.only, args.format
        )
    raise AssertionError(f"unhandled command {args.command}")


def run_sample(args: argparse.Namespace) -> int:
    """`parity sample` needs no repository: masked_sample_refresh runs it in the dbt image."""
    from parity.commands import sample

    return sample.run(args.policy, args.src, args.out, args.format)
