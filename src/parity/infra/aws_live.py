"""Live AWS state against the declaration (`aws.Declared`), read directly every time, and apply.

The plan is two parts. The stack: a change set of the template with this environment's parameters
(created, read, deleted), so CloudFormation says what it would change. The resources: each bucket's
versioning, encryption and lifecycle rules through the S3 API, each role's trust and inline
policies through IAM, each secret placeholder's existence through Secrets Manager (never a value),
so drift made by hand shows even where the stack's record still says all is well.

Apply executes the change set (creating the stack on first use), then sets through the same APIs
what the resources still lack, then plans again.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from parity.errors import BadInput, Refused
from parity.infra import Drift
from parity.infra.aws import Bucket, Declared, Role, lifecycle_rule

CAPABILITIES = ["CAPABILITY_NAMED_IAM"]
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


@dataclass(frozen=True)
class Clients:
    s3: Any
    iam: Any
    secrets: Any
    cfn: Any
    sts: Any


def clients(region: str, endpoint: str | None, keys: tuple[str, str] | None = None) -> Clients:
    """Clients of one region; `keys` (access key id, secret) instead of the default credentials."""
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    config = Config(retries={"max_attempts": 3}, connect_timeout=5, read_timeout=60)
    given = {"aws_access_key_id": keys[0], "aws_secret_access_key": keys[1]} if keys else {}
    session = boto3.session.Session(region_name=region, **given)

    def client(name: str) -> Any:
        return session.client(name, endpoint_url=endpoint or None, config=config)

    return Clients(
        client("s3"), client("iam"), client("secretsmanager"), client("cloudformation"), client("sts")
    )


def error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def require_account(c: Clients, declared: Declared) -> None:
    """Refuse to plan or apply one environment's stack with another account's credentials."""
    account = str(c.sts.get_caller_identity()["Account"])
    if account != declared.account:
        raise Refused(
            f"AWS account {account}",
            f"is not {declared.env}'s (spec.aws.accountId {declared.account})",
            f"Use {declared.env}'s credentials",
        )


def _canon(document: Any) -> Any:
    if isinstance(document, str):
        from urllib.parse import unquote

        document = json.loads(unquote(document))
    return json.loads(json.dumps(document, sort_keys=True))


def bucket_drifts(c: Clients, b: Bucket) -> list[Drift]:
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    try:
        c.s3.head_bucket(Bucket=b.name)
    except ClientError as exc:
        if error_code(exc) in ("404", "NoSuchBucket", "NotFound"):
            return [Drift(f"bucket {b.name}", "", b.name, None, "create")]
        raise
    versioning = c.s3.get_bucket_versioning(Bucket=b.name).get("Status", "")
    try:
        rules = c.s3.get_bucket_encryption(Bucket=b.name)["ServerSideEncryptionConfiguration"]["Rules"]
        encryption = rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
    except ClientError as exc:
        if error_code(exc) != "ServerSideEncryptionConfigurationNotFoundError":
            raise
        encryption = ""
    try:
        lifecycle = c.s3.get_bucket_lifecycle_configuration(Bucket=b.name)["Rules"]
    except ClientError as exc:
        if error_code(exc) != "NoSuchLifecycleConfiguration":
            raise
        lifecycle = []
    live = tuple(sorted(lifecycle_rule(r) for r in lifecycle))
    out = []
    for name, want, have in (
        ("versioning", b.versioning, versioning),
        ("encryption", b.encryption, encryption),
        ("lifecycle rules", _rules(b.rules), _rules(live)),
    ):
        if want != have:
            out.append(Drift(f"bucket {b.name}", name, want, have, f"put its {name}"))
    return out


def _rules(rules: tuple[tuple[str, int, int], ...]) -> str:
    shown = [f"{i}: expire {days} d, noncurrent {old} d" for i, days, old in rules]
    return "; ".join(shown) or "none"


def role_drifts(c: Clients, r: Role) -> list[Drift]:
    try:
        role = c.iam.get_role(RoleName=r.name)["Role"]
    except c.iam.exceptions.NoSuchEntityException:
        return [Drift(f"role {r.name}", "", r.name, None, "create")]
    out = []
    if _canon(role["AssumeRolePolicyDocument"]) != _canon(r.trust):
        out.append(Drift(f"role {r.name}", "trust policy", "as declared", "different", "put it"))
    names = c.iam.list_role_policies(RoleName=r.name)["PolicyNames"]
    live = {n: _canon(c.iam.get_role_policy(RoleName=r.name, PolicyName=n)["PolicyDocument"]) for n in names}
    for name in sorted(set(live) | set(r.policies)):
        field = f"inline policy {name}"
        if name not in r.policies:
            out.append(Drift(f"role {r.name}", field, "absent", "present", "delete it"))
        elif live.get(name) != _canon(r.policies[name]):
            state = "absent" if name not in live else "different"
            out.append(Drift(f"role {r.name}", field, "as declared", state, "put it"))
    return out


def secret_drifts(c: Clients, name: str) -> list[Drift]:
    try:
        c.secrets.describe_secret(SecretId=name)
    except c.secrets.exceptions.ResourceNotFoundException:
        return [Drift(f"secret {name}", "", name, None, "create its placeholder")]
    return []


def _stack_status(c: Clients, stack: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        return str(c.cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise


def _change_set(c: Clients, d: Declared, kind: str) -> tuple[str, list[dict[str, Any]]]:
    """Create a change set and wait for it: its name and changes ([] when there are none)."""
    name = f"parity-{time.time_ns()}"
    c.cfn.create_change_set(
        StackName=d.stack,
        ChangeSetName=name,
        ChangeSetType=kind,
        TemplateBody=d.template,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(d.parameters.items())],
        Capabilities=CAPABILITIES,
        Tags=[{"Key": "finsight.io/environment", "Value": d.env}],
    )
    deadline = time.monotonic() + 120
    while True:
        described = c.cfn.describe_change_set(StackName=d.stack, ChangeSetName=name)
        status, reason = described["Status"], str(described.get("StatusReason", ""))
        if status == "CREATE_COMPLETE":
            return name, list(described.get("Changes", []))
        if status == "FAILED":
            if any(marker in reason for marker in NO_CHANGES):
                c.cfn.delete_change_set(StackName=d.stack, ChangeSetName=name)
                return "", []
            raise BadInput(f"stack {d.stack}", f"CloudFormation cannot plan it: {reason}", "Fix the template")
        if time.monotonic() > deadline:
            raise BadInput(f"stack {d.stack}", f"the change set is still {status}", "Retry")
        time.sleep(0.5)


def stack_drifts(c: Clients, d: Declared) -> list[Drift]:
    status = _stack_status(c, d.stack)
    if status is None:
        return [Drift(f"stack {d.stack}", "", d.stack, None, "create")]
    if status.endswith("_IN_PROGRESS") or status in ("ROLLBACK_COMPLETE", "DELETE_COMPLETE"):
        return [Drift(f"stack {d.stack}", "status", "a completed stack", status, "")]
    name, changes = _change_set(c, d, "UPDATE")
    if name:
        c.cfn.delete_change_set(StackName=d.stack, ChangeSetName=name)
    return [
        Drift(
            f"stack {d.stack}",
            f"{ch['ResourceChange']['LogicalResourceId']}",
            "the template",
            ch["ResourceChange"]["Action"],
            "execute the change set",
        )
        for ch in changes
    ]


def plan(c: Clients, d: Declared) -> list[Drift]:
    out = stack_drifts(c, d)
    for bucket in d.buckets.values():
        out += bucket_drifts(c, bucket)
    for role in d.roles.values():
        out += role_drifts(c, role)
    for secret in d.secrets:
        out += secret_drifts(c, secret)
    return out


def _deploy(c: Clients, d: Declared, kind: str) -> None:
    name, _ = _change_set(c, d, kind)
    if not name:
        return
    c.cfn.execute_change_set(StackName=d.stack, ChangeSetName=name)
    deadline = time.monotonic() + 600
    while True:
        status = _stack_status(c, d.stack) or "DELETE_COMPLETE"
        if status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            return
        if not status.endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            events = c.cfn.describe_stack_events(StackName=d.stack)["StackEvents"]
            reasons = [e.get("ResourceStatusReason", "") for e in events if "FAILED" in e["ResourceStatus"]]
            raise BadInput(
                f"stack {d.stack}", f"{status}: {reasons[:1] or 'no reason given'}", "Fix it and apply"
            )
        time.sleep(1)


def _fix_bucket(c: Clients, b: Bucket, region: str, missing: bool) -> None:
    if missing:
        where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        c.s3.create_bucket(Bucket=b.name, **where)
    c.s3.put_bucket_versioning(Bucket=b.name, VersioningConfiguration={"Status": b.versioning})
    sse = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": b.encryption}, "BucketKeyEnabled": True}
    c.s3.put_bucket_encryption(Bucket=b.name, ServerSideEncryptionConfiguration={"Rules": [sse]})
    rules = [
        {
            "ID": rule_id,
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "Expiration": {"Days": days},
            "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent},
        }
        for rule_id, days, noncurrent in b.rules
    ]
    c.s3.put_bucket_lifecycle_configuration(Bucket=b.name, LifecycleConfiguration={"Rules": rules})


def _fix_role(c: Clients, r: Role, missing: bool) -> None:
    trust = json.dumps(r.trust)
    if missing:
        c.iam.create_role(RoleName=r.name, AssumeRolePolicyDocument=trust)
    else:
        c.iam.update_assume_role_policy(RoleName=r.name, PolicyDocument=trust)
    for name in c.iam.list_role_policies(RoleName=r.name)["PolicyNames"]:
        if name not in r.policies:
            c.iam.delete_role_policy(RoleName=r.name, PolicyName=name)
    for name, document in r.policies.items():
        c.iam.put_role_policy(RoleName=r.name, PolicyName=name, PolicyDocument=json.dumps(document))


def apply(c: Clients, d: Declared, drifts: list[Drift]) -> list[Drift]:
    """Apply what can be applied; returns the drifts it fixed (the stack's, then the resources')."""
    stack = [x for x in drifts if x.subject == f"stack {d.stack}" and x.fix]
    if stack:
        _deploy(c, d, "CREATE" if not stack[0].field else "UPDATE")
    remaining = [x for x in plan(c, d) if x.fix and not x.subject.startswith("stack ")]
    for bucket in d.buckets.values():
        mine = [x for x in remaining if x.subject == f"bucket {bucket.name}"]
        if mine:
            _fix_bucket(c, bucket, d.region, missing=not mine[0].field)
    for role in d.roles.values():
        mine = [x for x in remaining if x.subject == f"role {role.name}"]
        if mine:
            _fix_role(c, role, missing=not mine[0].field)
    for secret, description in d.secrets.items():
        if any(x.subject == f"secret {secret}" for x in remaining):
            c.secrets.create_secret(Name=secret, Description=description)
    return stack + remaining
