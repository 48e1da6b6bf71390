"""parity's detect-secrets path (candidate lines only) reports exactly what detect-secrets' own
`scan_file` reports, on every file git tracks and on files made to hold each kind of secret."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from parity.lint import secrets
from tests.conftest import ROOT

SAMPLES = {
    "aws.py": 'KEY = "AKIAIOSFODNN7EXAMPLE"\n',
    "keyword.yaml": "db:\n  password: hunter2-but-longer-9\n",
    "entropy.yaml": "token: q8Zr3kP0vX7mN2bL5tW9yH4cJ6dF1sGaQeRuYiOp\n",
    "hex.json": '{"digest": "3f786850e387550fdab836ed7e6dc881de23001b3f786850e387"}\n',
    "unquoted.ini": "[s]\nsecret_key = 9f2Kd8Lq0Xz7Vb3Nm6Wc1Ty4Ru5Ep\n",
    "jwt.md": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    + "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\n",
    "private.txt": "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n",
    "comparison.py": 'if "Zq8w3Kp0x7Mn2bL5" == db_password:\n    pass\n',
    "prefixed.go": 'my_api_key := "Zq8w3Kp0x7Mn2bL5tW9yH4cJ"\n',
    "clean.yaml": "name: finsight\nimage: spark\nkind: HorizontalPodAutoscaler\n",
}


def full_and_fast(root: Path, names: list[str]) -> tuple[dict[str, list[tuple[int, str]]], ...]:
    from detect_secrets.core import scan
    from detect_secrets.settings import default_settings

    with default_settings():
        full = {
            n: sorted({(s.line_number, str(s.type)) for s in scan.scan_file(str(root / n))}) for n in names
        }
        fast = {n: secrets.detect_secrets_file(root, n) for n in names}
    return full, fast


def test_the_same_verdicts_as_detect_secrets_on_every_tracked_file() -> None:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    names = [n for n in listed.stdout.split() if (ROOT / n).is_file()]
    full, fast = full_and_fast(ROOT, names)
    assert sum(map(len, full.values())) > 10  # the tree holds hashes and test keys: it is exercised
    assert {n: (full[n], fast[n]) for n in names if full[n] != fast[n]} == {}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_the_same_verdicts_on_each_kind_of_secret(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text(SAMPLES[name])
    full, fast = full_and_fast(tmp_path, [name])
    assert fast == full
    assert bool(full[name]) is (name != "clean.yaml")
