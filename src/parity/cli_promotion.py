"""Argument parsing and dispatch for the release commands: release, approve, promote, rollback, audit."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from parity.policy import Policy

COMMANDS = ("release", "approve", "promote", "rollback", "audit")


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


def dispatch(root: Path, policy: Policy, args: argparse.Namespace) -> int:
    from parity.commands import audit, promote, release

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
