"""Argument parsing and dispatch only: every command lives in parity.commands.<name>."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from parity import __version__, policy
from parity.commands import check, diff, doctor, gate, lint, render
from parity.errors import BAD_INPUT, INTERNAL, BadInput, ParityError
from parity.policy import POLICY_FILE, Policy
from parity.repo import find_root


def _global_options() -> argparse.ArgumentParser:
    # Shared by every subcommand so `parity doctor -v` and `parity -v doctor` both work.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show tracebacks for internal errors",
    )
    common.add_argument(
        "--repo",
        type=Path,
        default=argparse.SUPPRESS,
        help="platform repository root (default: found from the current directory)",
    )
    return common


def _format_option(parser: argparse.ArgumentParser, *extra: str) -> None:
    parser.add_argument(
        "--format", choices=("text", "json", *extra), default="text", help="output format (default: text)"
    )


def build_parser() -> argparse.ArgumentParser:
    common = _global_options()
    parser = argparse.ArgumentParser(
        prog="parity",
        description="Keep dev, staging and prod identical; promote, audit and roll back releases.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"parity {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    doctor_parser = commands.add_parser(
        "doctor", parents=[common], help="compare the installed toolchain with lock/tools.lock.toml"
    )
    _format_option(doctor_parser)
    doctor_parser.add_argument(
        "tools", nargs="*", metavar="TOOL", help="check only these tools (default: all)"
    )

    render_parser = commands.add_parser(
        "render", parents=[common], help="kustomize build overlays/ENV, normalised and validated"
    )
    render_parser.add_argument("env")
    render_parser.add_argument(
        "-o", "--output", type=Path, help="write one file per resource into this directory"
    )

    diff_parser = commands.add_parser("diff", parents=[common], help="semantic diff of two environments")
    diff_parser.add_argument("left")
    diff_parser.add_argument("right")
    _format_option(diff_parser, "markdown")

    check_parser = commands.add_parser(
        "check", parents=[common], help="every pair on the promotion path + invariants + locks (the CI gate)"
    )
    check_parser.add_argument(
        "envs", nargs="*", metavar="ENV", help="default: every environment in parity.toml"
    )
    _format_option(check_parser)

    lint_parser = commands.add_parser(
        "lint", parents=[common], help="environment branches and literals, secrets, value wiring"
    )
    lint_parser.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="default: the whole repository"
    )
    _format_option(lint_parser)

    gate_parser = commands.add_parser(
        "gate", parents=[common], help="pre-promotion gates; each writes evidence"
    )
    gate_parser.add_argument("gate", choices=("dags", "schema", "quality", "all"))
    gate_parser.add_argument("--env", help="the environment whose values the workloads load (default: dev)")
    gate_parser.add_argument("--evidence", type=Path, help="where to write the JSON evidence")
    gate_parser.add_argument(
        "--against",
        default="HEAD",
        help="schema gate: the git ref whose dbt contracts are the baseline (default HEAD)",
    )
    _format_option(gate_parser)
    return parser


def load_policy(root: Path) -> Policy:
    path = root / POLICY_FILE
    if not path.is_file():
        raise BadInput(POLICY_FILE, "missing", "Add the policy file at the repository root")
    return policy.parse(path.read_text())


def _dispatch(args: argparse.Namespace) -> int:
    root = find_root(getattr(args, "repo", None))
    if args.command == "doctor":
        return doctor.run(root, tools=args.tools, output_format=args.format)
    if args.command == "render":
        return render.run(root, load_policy(root), args.env, args.output)
    if args.command == "diff":
        return diff.run(root, load_policy(root), args.left, args.right, args.format)
    if args.command == "gate":
        return gate.run(
            root, load_policy(root), args.gate, args.env, args.evidence, args.format, args.against
        )
    if args.command == "lint":
        return lint.run(root, load_policy(root), args.paths, args.format)
    if args.command == "check":
        return check.run(root, load_policy(root), args.envs, args.format)
    raise AssertionError(f"unhandled command {args.command}")  # argparse rejects unknown names


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    verbose = getattr(args, "verbose", False)
    try:
        return _dispatch(args)
    except ParityError as exc:
        print(f"parity: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `parity diff ... | head`: the reader left; that is not an error
        sys.stdout = Path(os.devnull).open("w")  # noqa: SIM115 - keeps the final flush quiet
        return 0
    except KeyboardInterrupt:
        print("parity: interrupted", file=sys.stderr)
        return BAD_INPUT
    except Exception as exc:  # the contract: one line, traceback only with -v
        if verbose:
            traceback.print_exc()
        print(
            f"parity: internal error: {type(exc).__name__}: {exc}. "
            "Re-run with -v for the traceback and report it.",
            file=sys.stderr,
        )
        return INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
