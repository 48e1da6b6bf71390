"""Argument parsing and dispatch for the release commands: release, approve, promote, rollback, audit,
and env (ephemeral environments)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from parity.policy import Policy

COMMANDS = ("release", "approve", "promote", "rollback", "audit", "env", "report")


def add_parsers(commands: Any, common: argparse.ArgumentParser, format_option: Any) -> None:
    release = commands.add_parser(
        "release", parents=[common], help="create, show and list content-addressed releases"
    )
    actions = release.add_subparsers(dest="release_command", metavar="ACTION", required=True)
    create = actions.add_parser("create", parents=[common], help="the release of HEAD (prints its id last)")
    create.add_argument(
        "--evidence", type=Path, action="append", default=[], metavar="FILE", help="gate evidence to bundle"
    )
    create.add_argument(
        "--as", dest="actor", metavar="USER", help="who creates it (default: $PARITY_ACTOR, git user.email)"
    )
    format_option(create)
    show = actions.add_parser("show", parents=[common], help="a release's content and history")
    show.add_argument("id")
    format_option(show)
    listing = actions.add_parser("list", parents=[common], help="every release, oldest first")
    format_option(listing)

    approve = commands.add_parser("approve", parents=[common], help="approve a release for an environment")
    approve.add_argument("id")
    approve.add_argument("--env", required=True)
    approve.add_argument(
        "--as", dest="actor", metavar="USER", help="the approver (default: $PARITY_ACTOR, git user.email)"
    )
    format_option(approve)

    promote = commands.add_parser("promote", parents=[common], help="apply a release to the next environment")
    promote.add_argument("id")
    promote.add_argument("--to", required=True, metavar="ENV")
    promote.add_argument("--as", dest="actor", metavar="USER")
    promote.add_argument(
        "--emergency", action="store_true", help="skip approvals; opens a retro-approval obligation"
    )
    promote.add_argument("--reason", help="why (required with --emergency)")
    stand_in = "apply to the environment's stand-in (promotion.stand_ins: the local stack) instead"
    promote.add_argument("--stand-in", action="store_true", help=stand_in)
    format_option(promote)

    rollback = commands.add_parser("rollback", parents=[common], help="re-apply the previous good release")
    rollback.add_argument("env")
    rollback.add_argument("--to", metavar="ID", help="this release instead of the previous good one")
    rollback.add_argument("--as", dest="actor", metavar="USER")
    rollback.add_argument("--stand-in", action="store_true", help=stand_in)
    format_option(rollback)

    audit = commands.add_parser("audit", parents=[common], help="verify and export the ledger")
    audit_actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_actions.add_parser(
        "verify", parents=[common], help="check the hash chain; names the first bad entry"
    )
    format_option(verify)
    export = audit_actions.add_parser("export", parents=[common], help="the change history for auditors")
    export.add_argument("--format", choices=("json", "csv"), default="json")
    pending = audit_actions.add_parser(
        "pending", parents=[common], help="emergency changes awaiting retro-approval"
    )
    format_option(pending)
    _env_parsers(commands, common, format_option, stand_in)
    report = commands.add_parser(
        "report", parents=[common], help="the environment matrix, gates, release timelines, pending approvals"
    )
    report.add_argument("--html", type=Path, metavar="FILE", help="one self-contained page")
    report.add_argument("--markdown", type=Path, metavar="FILE", help="the digest a PR comment takes")
    format_option(report)


def _env_parsers(commands: Any, common: argparse.ArgumentParser, format_option: Any, stand_in: str) -> None:
    env = commands.add_parser(
        "env", parents=[common], help="ephemeral environments: create, list, destroy, reap"
    )
    actions = env.add_subparsers(dest="env_command", metavar="ACTION", required=True)
    create = actions.add_parser("create", parents=[common], help="an environment from the ephemeral template")
    create.add_argument("name", help="2-20 lowercase letters, digits and dashes (e.g. pr-1234)")
    create.add_argument(
        "--from", dest="source", required=True, metavar="ENV", help="the environment it mirrors"
    )
    create.add_argument("--ttl", help="how long it lives, e.g. 8h (default: ephemeral.default_ttl)")
    create.add_argument(
        "--bootstrap-servers", help="the brokers its topics go to (default: its own, if PLAINTEXT)"
    )
    create.add_argument("--aws-endpoint-url", help="the S3 endpoint (default: AWS, or the stand-in's)")
    create.add_argument("--no-wait", dest="wait", action="store_false", help="do not wait for its rollouts")
    chosen = {}
    for name, helped in (
        ("list", "every ephemeral environment: age, TTL, cost"),
        ("reap", "destroy the expired"),
    ):
        chosen[name] = actions.add_parser(name, parents=[common], help=helped)
    chosen["destroy"] = actions.add_parser("destroy", parents=[common], help="remove everything create made")
    chosen["destroy"].add_argument("name")
    for parser in (create, *chosen.values()):
        parser.add_argument("--stand-in", action="store_true", help=stand_in)
        format_option(parser)


def dispatch(root: Path, policy: Policy, args: argparse.Namespace) -> int:
    from parity.commands import audit, env, promote, release, report

    if args.command == "report":
        return report.run(root, policy, args.html, args.markdown, args.format)
    if args.command == "env":
        if args.env_command == "create":
            return env.create(
                root, policy, args.name, args.source, args.ttl, args.stand_in,
                args.bootstrap_servers, args.aws_endpoint_url, args.wait, args.format,
            )  # fmt: skip
        if args.env_command == "destroy":
            return env.destroy(root, policy, args.name, args.stand_in, args.format)
        if args.env_command == "reap":
            return env.reap(root, policy, args.stand_in, args.format)
        return env.list_(root, policy, args.stand_in, args.format)
    if args.command == "release":
        if args.release_command == "create":
            return release.create(root, policy, args.evidence, args.actor, args.format)
        if args.release_command == "show":
            return release.show(root, policy, args.id, args.format)
        return release.list_(root, policy, args.format)
    if args.command == "approve":
        policy.require_env(args.env)
        return promote.approve(root, policy, args.id, args.env, args.actor, args.format)
    if args.command == "promote":
        policy.require_env(args.to)
        return promote.promote(
            root,
            policy,
            args.id,
            args.to,
            args.actor,
            args.emergency,
            args.reason,
            args.format,
            args.stand_in,
        )
    if args.command == "rollback":
        policy.require_env(args.env)
        return promote.rollback(root, policy, args.env, args.to, args.actor, args.format, args.stand_in)
    if args.audit_command == "verify":
        return audit.verify(root, policy, args.format)
    if args.audit_command == "export":
        return audit.export(root, policy, args.format)
    return audit.pending(root, policy, args.format)


def add_publish_parsers(image_commands: Any, common: argparse.ArgumentParser, format_option: Any) -> None:
    """`parity images push|sign`, release.yml's steps after the verify rebuild."""
    push = image_commands.add_parser(
        "push", parents=[common], help="copy each built image to the registry by its locked digest"
    )
    push.add_argument("names", nargs="*", metavar="NAME", help="default: every image")
    push.add_argument("--registry", default="", metavar="HOST", help="default: the lock's repository host")
    format_option(push)
    sign = image_commands.add_parser(
        "sign", parents=[common], help="sign each locked digest with cosign and the key of [signing]"
    )
    sign.add_argument("names", nargs="*", metavar="NAME", help="default: every image")
    sign.add_argument("--aws-endpoint-url", metavar="URL", help="Secrets Manager's endpoint (LocalStack)")
    format_option(sign)


def dispatch_publish(root: Path, args: argparse.Namespace) -> int:
    from parity.commands import publish

    if args.images_command == "push":
        return publish.push(root, args.names, args.registry, args.format)
    return publish.sign(root, args.names, args.aws_endpoint_url, args.format)
