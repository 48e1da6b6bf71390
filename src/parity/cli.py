"""Argument parsing and dispatch only: every command lives in parity.commands.<name>."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from parity import __version__, cli_data, cli_promotion, loaders, policy
from parity.errors import BAD_INPUT, INTERNAL, ParityError
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
    gate_parser.add_argument(
        "--release", metavar="ID", help="record the result in the ledger for this release and --env"
    )
    _format_option(gate_parser)

    images_parser = commands.add_parser(
        "images",
        parents=[common],
        help="build, verify, push, sign and run the workload images (reproducible OCI)",
    )
    image_commands = images_parser.add_subparsers(dest="images_command", metavar="ACTION", required=True)
    build_parser_ = image_commands.add_parser(
        "build", parents=[common], help="build OCI layouts into .parity/images/NAME from locked inputs"
    )
    build_parser_.add_argument("names", nargs="*", metavar="NAME", help="default: every image")
    build_parser_.add_argument("--no-cache", action="store_true", help="use no cached layer or base")
    build_parser_.add_argument(
        "--lock",
        action="store_true",
        help="record the digests in lock/images.lock.json (scripts/lock-images)",
    )
    build_parser_.add_argument(
        "--update-base",
        action="store_true",
        help="re-make the base root filesystem from the mirror and pin it in lock/images-base.lock.json",
    )
    build_parser_.add_argument("--out", type=Path, help="write the layouts under this directory instead")
    _format_option(build_parser_)
    verify_parser = image_commands.add_parser(
        "verify", parents=[common], help="rebuild from scratch and compare digests with the lock"
    )
    verify_parser.add_argument("names", nargs="*", metavar="NAME", help="default: every image")
    _format_option(verify_parser)
    cli_promotion.add_publish_parsers(image_commands, common, _format_option)
    run_parser = image_commands.add_parser(
        "run", parents=[common], help="run an image with podman (runc) or runc, on the host network"
    )
    run_parser.add_argument("name", metavar="NAME", help="then -- and the arguments for the entrypoint")
    run_parser.add_argument("--runtime", choices=("auto", "podman", "runc"), default="auto")
    run_parser.add_argument("-e", "--env", action="append", default=[], metavar="KEY=VALUE", dest="env_items")
    run_parser.add_argument(
        "--values",
        metavar="ENV",
        help="inject ENV's platform values (overlays/ENV/values.yaml) as the cluster does",
    )
    run_parser.add_argument("--volume", action="append", default=[], metavar="HOST:PATH[:ro]")
    run_parser.add_argument("--entrypoint", help="run this program instead of the image's entrypoint")
    up_parser = commands.add_parser(
        "up",
        parents=[common],
        help="start the local stack (cluster, stand-ins, operators) with the local rendering",
    )
    up_parser.add_argument(
        "--no-build", action="store_true", help="do not build images missing from .parity/images"
    )
    _format_option(up_parser)
    down_parser = commands.add_parser(
        "down", parents=[common], help="stop the local stack and undo its changes"
    )
    down_parser.add_argument("--purge", action="store_true", help="also delete its state (.parity/local)")
    _format_option(down_parser)
    status_parser = commands.add_parser("status", parents=[common], help="health of the local stack's parts")
    _format_option(status_parser)
    cli_promotion.add_parsers(commands, common, _format_option)
    cli_data.add_parsers(commands, common, _format_option)
    return parser


def load_policy(root: Path) -> Policy:
    return policy.parse(
        loaders.read_text(root / POLICY_FILE, POLICY_FILE, "Add the policy file at the repository root")
    )


def _dispatch(args: argparse.Namespace) -> int:
    # Each command's module is imported when it runs: `parity check` never loads the image builder.
    if args.command == "sample":
        return cli_data.run_sample(args)
    root = find_root(getattr(args, "repo", None))
    if args.command in ("up", "down", "status"):
        return _local(root, args)
    if args.command in cli_data.COMMANDS:
        return cli_data.dispatch(root, args)
    if args.command in cli_promotion.COMMANDS:
        return cli_promotion.dispatch(root, load_policy(root), args)
    run: Callable[..., int] = importlib.import_module(f"parity.commands.{args.command}").run
    if args.command == "doctor":
        return run(root, tools=args.tools, output_format=args.format)
    if args.command == "render":
        return run(root, load_policy(root), args.env, args.output)
    if args.command == "diff":
        return run(root, load_policy(root), args.left, args.right, args.format)
    if args.command == "gate":
        return run(
            root,
            load_policy(root),
            args.gate,
            args.env,
            args.evidence,
            args.format,
            args.against,
            args.release,
        )
    if args.command == "lint":
        return run(root, load_policy(root), args.paths, args.format)
    if args.command == "images":
        return _images(root, args)
    if args.command == "check":
        return run(root, load_policy(root), args.envs, args.format)
    raise AssertionError(f"unhandled command {args.command}")  # argparse rejects unknown names


def _local(root: Path, args: argparse.Namespace) -> int:
    from parity.commands import local

    if args.command == "up":
        return local.up(root, load_policy(root), build=not args.no_build, output_format=args.format)
    if args.command == "down":
        return local.down(root, purge=args.purge, output_format=args.format)
    return local.status(root, output_format=args.format)


def _images(root: Path, args: argparse.Namespace) -> int:
    from parity.commands import images

    if args.images_command == "build":
        return images.build(
            root,
            args.names,
            fresh=args.no_cache,
            lock=args.lock,
            update_base=args.update_base,
            out=args.out,
            output_format=args.format,
        )
    if args.images_command == "verify":
        return images.verify(root, args.names, args.format)
    if args.images_command in ("push", "sign"):
        return cli_promotion.dispatch_publish(root, args)
    return images.run(
        root,
        args.name,
        args.argv,
        runtime=args.runtime,
        env_items=args.env_items,
        values_env=args.values,
        volumes=args.volume,
        entrypoint=args.entrypoint,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    passed: list[str] = []  # `parity images run NAME [options] -- CMD...`: CMD is the container's
    if "--" in words and "run" in words[: words.index("--")]:
        words, passed = words[: words.index("--")], words[words.index("--") + 1 :]
    try:
        args = parser.parse_args(words)
        args.argv = passed
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
