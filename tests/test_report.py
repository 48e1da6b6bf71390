"""`parity report --html FILE`: one self-contained page, rendered by headless Chromium (Debian's
chromium package, from the lock) and read back from its DOM: the environment matrix (allowed and
violating), gate results, each environment's timeline with approvals, the pending retro-approval;
and no request leaves the page (every external load is blocked and would show as missing)."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from parity import cli
from parity.promotion import flow
from parity.promotion.journal import FileLedger

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
RELEASE, OTHER = "r-0123456789abcdef", "r-fedcba9876543210"


def _ledger(repo: Path) -> None:
    journal = FileLedger(repo / ".parity")
    flow.record(
        journal, "release.create", "release-bot@finsight.io", RELEASE, None, images={"airflow": "sha256:1"}
    )
    flow.record(
        journal, "gate.all", "ci@finsight.io", RELEASE, "dev", ok=True, gates=["dags", "schema", "quality"]
    )
    flow.record(journal, "promote.done", "release-bot@finsight.io", RELEASE, "dev", ok=True, approvals=[])
    flow.record(journal, "promote.done", "release-bot@finsight.io", RELEASE, "staging", ok=True, approvals=[])
    for who in ("maria.lopez@finsight.io", "dev.patel@finsight.io"):
        flow.record(journal, "approve", who, RELEASE, "prod", expires="2026-12-05T00:00:00+00:00")
    approvals = ["dev.patel@finsight.io", "maria.lopez@finsight.io"]
    flow.record(
        journal, "promote.done", "release-bot@finsight.io", RELEASE, "prod", ok=True, approvals=approvals
    )
    flow.record(journal, "gate.quality", "ci@finsight.io", OTHER, "staging", ok=False, gates=["quality"])
    flow.record(journal, "emergency", "oncall@finsight.io", OTHER, "prod", reason="hotfix: payments stuck")
    flow.record(journal, "promote.failed", "oncall@finsight.io", OTHER, "prod", error="rollout timed out")


def _chromium(page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--user-data-dir=" + str(page.parent / "profile"),
         *args, page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip


def test_the_page_shows_matrix_gates_timelines_and_pending_approvals(
    repo_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _ledger(repo_copy)
    evidence = repo_copy / ".parity/evidence/gate-dags-dev.json"
    evidence.parent.mkdir(parents=True)
    finding = {
        "subject": "dags/payments_daily.py",
        "rule": "dag-import",
        "message": "ImportError: no module x",
    }
    evidence.write_text(
        json.dumps({"gate": "dags", "env": "dev", "ok": False, "seconds": 1.5, "findings": [finding]})
    )
    # prod drifts: an annotation no [[allow]] rule covers, on each of its 55 objects and 8 pod templates
    prod = repo_copy / "overlays/prod/kustomization.yaml"
    prod.write_text(prod.read_text() + "commonAnnotations:\n  hotfix: manual\n")
    page, digest = tmp_path / "report.html", tmp_path / "report.md"
    code = cli.main(["--repo", str(repo_copy), "report", "--html", str(page), "--markdown", str(digest)])
    assert code == 1, capsys.readouterr()  # violations are findings
    text = page.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)  # no external asset
    assert "<script" not in text

    dom = _chromium(page, "--dump-dom").stdout
    body = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))
    assert "parity report" in body and "staging → prod" in body
    assert re.search(r"staging → prod\s+63 violation\(s\)", body), body[:3000]
    assert re.search(r"dev → staging\s+parity holds", body)
    assert "not allowed: 63 difference(s)" in body and "allowed by env-label" in body
    assert dom.count('class="violation"') >= 63
    assert "'manual'" in body  # prod's value in the matrix, beside (absent) in dev and staging
    # gates: the evidence file and both ledger results
    assert "dag-import" in body and "ImportError: no module x" in body
    assert re.search(r"gate\.all|dags, schema, quality", body) and "1/2 passed (ledger)" in body
    # timelines, with prod's two approvals, and the failed emergency promotion
    assert "approvals: dev.patel@finsight.io, maria.lopez@finsight.io" in body
    assert "rollout timed out" in body and "hotfix: payments stuck" in body
    timelines = dom[dom.index('id="timeline"') :]
    assert timelines.count("<li>") == 10  # dev 3 (create, gate, promote), staging 2 (promote, gate), prod 5
    # the pending retro-approval, with the command that closes it
    assert f"parity approve {OTHER} --env prod --as USER" in body

    shot = tmp_path / "report.png"
    _chromium(page, f"--screenshot={shot}", "--window-size=1280,1600", "--hide-scrollbars")
    width, height = struct.unpack(">II", shot.read_bytes()[16:24])
    assert (width, height) == (1280, 1600) and shot.stat().st_size > 50_000
    if os.environ.get("PARITY_KEEP_SCREENSHOT"):  # for people to look at (README, "parity report")
        shutil.copyfile(shot, os.environ["PARITY_KEEP_SCREENSHOT"])

    md = digest.read_text()
    assert "**63 violation(s)**" in md and "| staging → prod | ❌ 63 violation(s) |" in md
    assert "Pending retro-approvals: 1." in md
