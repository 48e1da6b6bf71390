"""`parity infra plan|apply ENV --only aws` against LocalStack (S3, IAM, STS, Secrets Manager,
CloudFormation): apply creates exactly what infra/aws/platform.yaml declares with dev's values, a
second apply changes nothing, drift made by hand through the S3 and IAM APIs (which the stack's own
record does not see) is reported by plan and fixed by apply; credentials of another account are
refused; a malformed declaration exits 2 naming the file and the field. cfn-lint, AWS's linter,
passes the template and every environment's rendered body."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from parity import cli
from parity.infra import aws
from parity.rendering import read_values
from parity.stack import Service
from tests import conftest
from tests.conftest import DEVENV, ROOT

pytestmark = pytest.mark.integration
DEV_ACCOUNT = "210987654321"  # LocalStack takes a 12-digit access key id as the account
BUCKETS = {"finsight-dev-raw": 30, "finsight-dev-curated": 90, "finsight-dev-exports": 30}
ROLES = {"airflow", "dbt", "spark", "streaming", "external-secrets"}
SECRETS = {
    "finsight/airflow/core",
    "finsight/airflow/metadata-db",
    "finsight/snowflake/service-user",
    "finsight/exports/sftp",
}


@pytest.fixture(scope="module")
def localstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from conftest.localstack(  # type: ignore[misc]
        tmp_path_factory, "s3,iam,sts,secretsmanager,cloudformation"
    )


@pytest.fixture
def account(localstack: Service, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    conftest.use_localstack(localstack.address, monkeypatch, "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", DEV_ACCOUNT)
    # A session of its own: boto3's default session keeps the first credentials it resolved in this
    # process, which an earlier test may have set to another account.
    session = boto3.session.Session(aws_access_key_id=DEV_ACCOUNT, aws_secret_access_key="test")
    return {
        name: session.client(name, endpoint_url=localstack.address)
        for name in ("s3", "iam", "secretsmanager")
    }


def _infra(capsys: pytest.CaptureFixture[str], action: str, *extra: str) -> tuple[int, dict[str, Any]]:
    code = cli.main(["infra", action, "dev", "--only", "aws", "--format", "json", *extra])
    return code, json.loads(capsys.readouterr().out)["aws"]


def test_cfn_lint_passes_the_template_and_every_environments_body(tmp_path: Path) -> None:
    files = [str(ROOT / aws.TEMPLATE)]
    for env in ("dev", "staging", "prod", "ephemeral"):
        declared = aws.declared(ROOT, read_values(ROOT, env), env, f"finsight-{env}", "values")
        body = tmp_path / f"{env}.json"
        body.write_text(declared.template)
        files.append(str(body))
        assert '"${OidcProvider}:sub"' not in declared.template  # keys substituted, values left to CFN
        assert f'"{read_values(ROOT, env)["aws"]["oidcProvider"]}:sub"' in declared.template
        # ephemeral shares dev's account, whose stack owns the secret names: two stacks cannot both make them
        assert set(declared.secrets) == (set() if env == "ephemeral" else SECRETS)
    lint = subprocess.run(
        [str(DEVENV / "venvs/tool/bin/cfn-lint"), *files], capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    broken = tmp_path / "broken.yaml"  # the linter does fail: a bucket property that does not exist
    broken.write_text((ROOT / aws.TEMPLATE).read_text().replace("VersioningConfiguration:", "Versioning:", 1))
    lint = subprocess.run(
        [str(DEVENV / "venvs/tool/bin/cfn-lint"), str(broken)], capture_output=True, text=True, check=False
    )
    assert lint.returncode != 0 and "Versioning" in lint.stdout


def test_apply_creates_what_is_declared_then_changes_nothing_and_fixes_hand_drift(
    account: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    s3, iam, secrets = account["s3"], account["iam"], account["secretsmanager"]
    code, first = _infra(capsys, "plan")
    assert code == 1 and len(first["drift"]) == 1 + 3 + 5 + 4
    assert all(line.endswith(": missing (apply creates it)") for line in first["drift"])

    code, applied = _infra(capsys, "apply")
    assert code == 0 and applied["drift"] == [], applied
    assert applied["applied"][0] == "stack finsight-dev-platform: missing (apply creates it)"
    # Exactly the declaration, read back through each service's own API.
    assert {b["Name"] for b in s3.list_buckets()["Buckets"]} == set(BUCKETS)
    for bucket, days in BUCKETS.items():
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        sse = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert sse["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        assert rule["Status"] == "Enabled" and rule["Expiration"]["Days"] == days
    roles = {r["RoleName"]: r for r in iam.list_roles()["Roles"]}
    assert set(roles) == {f"finsight-dev-{name}" for name in ROLES}
    provider = read_values(ROOT, "dev")["aws"]["oidcProvider"]
    for name in ROLES:
        trust = iam.get_role(RoleName=f"finsight-dev-{name}")["Role"]["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        (statement,) = trust["Statement"]
        assert statement["Principal"]["Federated"] == f"arn:aws:iam::{DEV_ACCOUNT}:oidc-provider/{provider}"
        assert statement["Condition"]["StringEquals"] == {
            f"{provider}:sub": f"system:serviceaccount:finsight-dev:{name}"
        }
    assert {s["Name"] for s in secrets.list_secrets()["SecretList"]} == SECRETS
    for name in SECRETS:  # placeholders: a name, never a value
        with pytest.raises(secrets.exceptions.ResourceNotFoundException):
            secrets.get_secret_value(SecretId=name)

    code, again = _infra(capsys, "apply")
    assert code == 0 and again["applied"] == [] and again["drift"] == []

    # Drift by hand, behind the stack's back: raw's lifecycle rule deleted (its retention gone),
    # versioning suspended on curated, and an inline policy added to the spark role.
    s3.delete_bucket_lifecycle(Bucket="finsight-dev-raw")
    s3.put_bucket_versioning(Bucket="finsight-dev-curated", VersioningConfiguration={"Status": "Suspended"})
    iam.put_role_policy(
        RoleName="finsight-dev-spark",
        PolicyName="everything",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )
    code, drifted = _infra(capsys, "plan")
    assert code == 1
    assert drifted["drift"] == [
        "bucket finsight-dev-raw: lifecycle rules is 'none', declared 'raw-retention: expire 30 d, "
        "noncurrent 30 d' (apply will put its lifecycle rules)",
        "bucket finsight-dev-curated: versioning is 'Suspended', declared 'Enabled' "
        "(apply will put its versioning)",
        "role finsight-dev-spark: inline policy everything is 'present', declared 'absent' "
        "(apply will delete it)",
    ]
    code, fixed = _infra(capsys, "apply")
    assert code == 0 and fixed["applied"] == drifted["drift"] and fixed["drift"] == []
    assert (
        s3.get_bucket_lifecycle_configuration(Bucket="finsight-dev-raw")["Rules"][0]["Expiration"]["Days"]
        == 30
    )
    assert iam.list_role_policies(RoleName="finsight-dev-spark")["PolicyNames"] == ["lake"]
    code, clean = _infra(capsys, "plan")
    assert code == 0 and clean["drift"] == []


def test_another_accounts_credentials_are_refused_and_bad_input_exits_2(
    account: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    repo_copy: Path,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "432109876543")  # prod's account
    assert cli.main(["infra", "apply", "dev", "--only", "aws"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "AWS account 432109876543" in err[0] and "210987654321" in err[0]

    values = repo_copy / "overlays/dev/values.yaml"
    text = values.read_text()
    values.write_text(text.replace("rawDays: 30", "rawDays: a month", 1))
    assert cli.main(["infra", "plan", "dev", "--only", "aws", "--repo", str(repo_copy)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "overlays/dev/values.yaml" in err[0] and "spec.retention.rawDays" in err[0]
    values.write_text(text.replace("raw: finsight-dev-raw", "raw: Finsight_Dev_Raw", 1))
    assert cli.main(["infra", "plan", "dev", "--only", "aws", "--repo", str(repo_copy)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "overlays/dev/values.yaml" in err[0] and "spec.buckets.raw" in err[0]
