"""The AWS side of an environment as declared: infra/aws/platform.yaml (one CloudFormation template,
the same for every environment) with its parameters from overlays/<env>/values.yaml.

parity reads the declared state from the template itself, with its parameters resolved: the
buckets' versioning, encryption and lifecycle rules, the IRSA roles' trust and inline policies, and
the secret placeholders. `aws_live` compares that with what the S3, IAM and Secrets Manager APIs
report, because a stack's own record does not see a lifecycle rule deleted by hand (and LocalStack's
CloudFormation drops lifecycle rules and KMS encryption that AWS's would apply).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parity import loaders
from parity.errors import BadInput

TEMPLATE = Path("infra/aws/platform.yaml")
ROLES = {  # template parameter -> spec.iam key of its ARN
    "AirflowRole": "airflowRoleArn",
    "DbtRole": "dbtRoleArn",
    "SparkRole": "sparkRoleArn",
    "StreamingRole": "streamingRoleArn",
    "ExternalSecretsRole": "externalSecretsRoleArn",
}
BUCKETS = {"RawBucket": "raw", "CuratedBucket": "curated", "ExportBucket": "export"}
RETENTION = {"RawRetentionDays": "rawDays", "CuratedRetentionDays": "curatedDays"}
# Values only parity reads (infra), not the workloads.
VALUES_READ = ("retention.", "aws.oidcProvider", "aws.accountOwner")
ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/([\w+=,.@-]{1,64})")
SUB = re.compile(r"\$\{([\w:]+)\}")


@dataclass(frozen=True)
class Bucket:
    name: str
    versioning: str
    encryption: str
    rules: tuple[tuple[str, int, int], ...]  # (id, expiration days, noncurrent days), by id


@dataclass(frozen=True)
class Role:
    name: str
    trust: dict[str, Any]
    policies: dict[str, dict[str, Any]]


@dataclass
class Declared:
    env: str
    stack: str
    account: str
    region: str
    template: str  # the template as CloudFormation gets it: JSON, parameters substituted in keys
    parameters: dict[str, str]
    buckets: dict[str, Bucket] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # name -> description


def stack_name(env: str) -> str:
    return f"finsight-{env}-platform"


def _field(values: Mapping[str, Any], dotted: str, source: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise BadInput(source, f"spec.{dotted} is missing", "Declare it as the other environments do")
        node = node[part]
    return node


def _days(values: Mapping[str, Any], key: str, source: str) -> str:
    days = _field(values, f"retention.{key}", source)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise BadInput(
            source, f"spec.retention.{key} is {days!r}", "Make it a whole number of days, 1 or more"
        )
    return str(days)


def parameters(values: Mapping[str, Any], env: str, namespace: str, source: str) -> dict[str, str]:
    """The template's parameters for one environment, from its parsed values (spec)."""
    out = {"Environment": env, "Namespace": namespace}
    account = str(_field(values, "aws.accountId", source))
    for parameter, key in BUCKETS.items():
        name = _field(values, f"buckets.{key}", source)
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", name):
            raise BadInput(source, f"spec.buckets.{key} is {name!r}", "Give it a valid S3 bucket name")
        out[parameter] = name
    for parameter, key in RETENTION.items():
        out[parameter] = _days(values, key, source)
    provider = _field(values, "aws.oidcProvider", source)
    if not isinstance(provider, str) or not provider or provider.startswith("https://"):
        raise BadInput(source, f"spec.aws.oidcProvider is {provider!r}", "Give the issuer without https://")
    out["OidcProvider"] = provider
    owner = _field(values, "aws.accountOwner", source)
    if not isinstance(owner, bool):
        raise BadInput(source, f"spec.aws.accountOwner is {owner!r}", "Give true or false")
    out["AccountOwner"] = "true" if owner else "false"
    for parameter, key in ROLES.items():
        arn = _field(values, f"iam.{key}", source)
        match = ROLE_ARN.fullmatch(str(arn))
        if not match or match.group(1) != account:
            raise BadInput(
                source,
                f"spec.iam.{key} is {arn!r}",
                f"Give a role ARN in account {account} (spec.aws.accountId)",
            )
        out[parameter] = match.group(2)
    return out


def _resolve(node: Any, names: Mapping[str, str], where: str) -> Any:
    """Ref and Fn::Sub resolved with `names` (parameters and AWS:: pseudo parameters)."""
    if isinstance(node, list):
        return [_resolve(item, names, where) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"}:
        return names[node["Ref"]]
    if set(node) == {"Fn::Sub"}:
        text = node["Fn::Sub"]
        unknown = sorted({m for m in SUB.findall(text) if m not in names})
        if unknown:
            raise BadInput(str(TEMPLATE), f"{where}: ${{{unknown[0]}}} is no parameter", "Declare it")
        return SUB.sub(lambda m: names[m.group(1)], text)
    return {_key(key, names, where): _resolve(value, names, where) for key, value in node.items()}


def _key(key: str, names: Mapping[str, str], where: str) -> str:
    """A mapping key with ${Parameter} substituted: CloudFormation has no intrinsic for keys."""
    return str(_resolve({"Fn::Sub": key}, names, where)) if "${" in key else key


def _keys(node: Any, names: Mapping[str, str]) -> Any:
    """The template with parameters substituted in mapping keys only (the body CloudFormation gets)."""
    if isinstance(node, list):
        return [_keys(item, names) for item in node]
    if isinstance(node, dict):
        return {_key(k, names, "Resources"): _keys(v, names) for k, v in node.items()}
    return node


def _json(document: Any) -> dict[str, Any]:
    return dict(json.loads(document)) if isinstance(document, str) else dict(document)


def _template(root: Path) -> loaders.Fields:
    text = loaders.read_text(root / TEMPLATE, str(TEMPLATE))
    return loaders.Fields(loaders.parse_yaml(text, str(TEMPLATE)) or {}, str(TEMPLATE), text)


def _conditions(template: loaders.Fields, names: Mapping[str, str]) -> dict[str, bool]:
    """The template's Conditions, each an Fn::Equals of two values (the one form it uses)."""
    out = {}
    for name, expression in (template.data.get("Conditions") or {}).items():
        pair = _resolve(expression.get("Fn::Equals") if isinstance(expression, dict) else None, names, name)
        if not isinstance(pair, list) or len(pair) != 2:
            raise BadInput(str(TEMPLATE), f"Conditions.{name} is not an Fn::Equals of two", "Use Fn::Equals")
        out[name] = pair[0] == pair[1]
    return out


def declared(root: Path, values: Mapping[str, Any], env: str, namespace: str, source: str) -> Declared:
    template = _template(root)
    params = parameters(values, env, namespace, source)
    wanted = set(template.table("Parameters").data)
    if wanted != set(params):
        odd = sorted(wanted ^ set(params))
        raise BadInput(str(TEMPLATE), f"Parameters: {', '.join(odd)} not what parity passes", "Align them")
    account, region = str(values["aws"]["accountId"]), str(_field(values, "aws.region", source))
    body = json.dumps(_keys(template.data, params), indent=1, sort_keys=True)
    out = Declared(env, stack_name(env), account, region, body, params)
    names = {**params, "AWS::AccountId": account, "AWS::Region": region}
    holds = _conditions(template, names)
    for logical, resource in template.tables("Resources").items():
        condition = resource.get("Condition", str, "")
        if condition and condition not in holds:
            raise BadInput(
                str(TEMPLATE), f"Resources.{logical}: condition {condition} is not declared", "Declare it"
            )
        if condition and not holds[condition]:
            continue  # CloudFormation leaves it out of this stack, so parity does too
        kind = resource.string("Type")
        props = _resolve(resource.get("Properties", dict, {}), names, f"Resources.{logical}")
        if kind == "AWS::S3::Bucket":
            sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
            rules = props.get("LifecycleConfiguration", {}).get("Rules", [])
            out.buckets[props["BucketName"]] = Bucket(
                props["BucketName"],
                props["VersioningConfiguration"]["Status"],
                sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"],
                tuple(sorted(lifecycle_rule(r) for r in rules)),
            )
        elif kind == "AWS::IAM::Role":
            policies = {p["PolicyName"]: _json(p["PolicyDocument"]) for p in props.get("Policies", [])}
            out.roles[props["RoleName"]] = Role(
                props["RoleName"], _json(props["AssumeRolePolicyDocument"]), policies
            )
        elif kind == "AWS::SecretsManager::Secret":
            if "SecretString" in props or "GenerateSecretString" in props:
                raise BadInput(str(TEMPLATE), f"Resources.{logical} sets a value", "Declare the name only")
            out.secrets[props["Name"]] = str(props.get("Description", ""))
    return out


def lifecycle_rule(rule: Mapping[str, Any]) -> tuple[str, int, int]:
    """A lifecycle rule as (id, expiration days, noncurrent days), from CloudFormation's or S3's
    spelling (ExpirationInDays vs Expiration.Days)."""
    expiration = rule.get("ExpirationInDays", (rule.get("Expiration") or {}).get("Days", 0))
    noncurrent = (rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays", 0)
    if rule.get("Status", "Enabled") != "Enabled":
        expiration = noncurrent = 0  # a disabled rule keeps nothing from expiring
    return (str(rule.get("Id") or rule.get("ID", "")), int(expiration), int(noncurrent))


def secret_names(root: Path) -> set[str]:
    """The secret placeholders the template declares (their names are the same in every account)."""
    return {
        str(r.table("Properties").get("Name", str, ""))
        for r in _template(root).tables("Resources").values()
        if r.string("Type") == "AWS::SecretsManager::Secret"
    }
