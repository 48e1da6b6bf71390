"""The ledger's S3 backend on LocalStack: Object Lock in compliance mode, concurrent writers, and
what verify sees when someone writes over or hides an entry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from parity import ledger
from parity.promotion.s3ledger import S3Ledger, make_bucket
from parity.stack import Service
from tests import conftest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def localstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from conftest.localstack(tmp_path_factory, "s3")  # type: ignore[misc]


@pytest.fixture
def aws(localstack: Service, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return conftest.use_localstack(localstack.address, monkeypatch, "us-east-1")


def _client() -> Any:
    return boto3.session.Session().client("s3")


def _ledger(bucket: str) -> S3Ledger:
    make_bucket(_client(), bucket)
    return S3Ledger(f"s3://{bucket}/audit")


def test_entries_are_locked_in_compliance_mode_and_chain(aws: dict[str, str]) -> None:
    journal = _ledger("ledger-lock")
    for i in range(3):
        journal.append({"action": "approve", "actor": f"a{i}", "time": "t", "release": "r"})
    assert journal.verdict().ok and [e["seq"] for e in journal.entries()] == [1, 2, 3]
    key = "audit/entries/000000000002.json"
    retention = _client().get_object_retention(Bucket="ledger-lock", Key=key)["Retention"]
    assert retention["Mode"] == "COMPLIANCE"
    version = _client().head_object(Bucket="ledger-lock", Key=key)["VersionId"]
    with pytest.raises(ClientError):  # compliance mode: no one deletes a locked version
        _client().delete_object(Bucket="ledger-lock", Key=key, VersionId=version)


def test_twenty_processes_append_without_losing_or_duplicating(aws: dict[str, str]) -> None:
    _ledger("ledger-race")
    script = (
        "import sys; from parity.promotion.s3ledger import S3Ledger\n"
        "j = S3Ledger('s3://ledger-race/audit')\n"
        "for i in range(3):\n"
        "    j.append({'action': 'approve', 'actor': f'{sys.argv[1]}-{i}', 'time': 't', 'release': 'r'})\n"
    )
    env = {**os.environ, **aws}
    workers = [subprocess.Popen([sys.executable, "-c", script, f"w{n}"], env=env) for n in range(20)]
    assert [w.wait(timeout=300) for w in workers] == [0] * 20
    journal = S3Ledger("s3://ledger-race/audit")
    actors = [e["actor"] for e in journal.entries()]
    assert len(actors) == 60 and len(set(actors)) == 60
    assert journal.verdict().ok


def test_an_entry_written_over_or_hidden_fails_verify(aws: dict[str, str]) -> None:
    journal = _ledger("ledger-tamper")
    for i in range(4):
        journal.append({"action": "approve", "actor": f"a{i}", "time": "t", "release": "r"})
    forged = json.loads(journal.lines()[2])
    forged["actor"] = "mallory"
    key = "audit/entries/000000000003.json"
    _client().put_object(Bucket="ledger-tamper", Key=key, Body=ledger.line(forged))
    verdict = journal.verdict()
    assert not verdict.ok and verdict.bad == 3
    hidden = _ledger("ledger-hidden")
    for i in range(4):
        hidden.append({"action": "approve", "actor": f"a{i}", "time": "t", "release": "r"})
    _client().delete_object(Bucket="ledger-hidden", Key="audit/entries/000000000004.json")  # a delete marker
    verdict = hidden.verdict()
    assert not verdict.ok and verdict.bad == 4 and "deleted" in verdict.problem


def test_parity_audit_verify_reads_the_s3_ledger(aws: dict[str, str]) -> None:
    journal = _ledger("ledger-cli")
    journal.append({"action": "approve", "actor": "a", "time": "t", "release": "r"})
    env = {**os.environ, **aws, "PARITY_LEDGER": "s3://ledger-cli/audit"}
    done = subprocess.run(
        [sys.executable, "-m", "parity", "audit", "verify"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0 and "1 entries" in done.stdout, done.stderr
