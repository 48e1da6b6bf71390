"""The audit ledger: hash chain, head record, atomic appends, and `parity audit verify` against each
kind of tampering."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from parity import ledger
from parity.cli import main
from parity.promotion.journal import FileLedger


def _filled(state: Path, count: int = 6) -> FileLedger:
    journal = FileLedger(state)
    for i in range(count):
        journal.append(
            {"action": "approve", "actor": f"user{i}", "time": "t", "release": "r-0", "env": "prod"}
        )
    return journal


def _verify(
    state: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setenv("PARITY_STATE", str(state))
    code = main(["audit", "verify", "--repo", str(Path(__file__).parent.parent)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_an_untouched_ledger_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _filled(tmp_path)
    code, text = _verify(tmp_path, monkeypatch, capsys)
    assert code == 0, text
    assert "6 entries" in text


def _rewrite(journal: FileLedger, lines: list[bytes]) -> None:
    journal.path.write_bytes(b"".join(line + b"\n" for line in lines))


@pytest.mark.parametrize(
    ("tamper", "first_bad"),
    [
        ("edit", 3),
        ("delete", 3),
        ("insert", 4),  # the forged entry chains on; the one after it no longer does
        ("reorder", 2),
        ("truncate", 5),
        ("drop-head", 6),
    ],
)
def test_each_kind_of_tampering_fails_verify_and_names_the_first_bad_entry(
    tamper: str,
    first_bad: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    journal = _filled(tmp_path)
    lines = journal.lines()
    if tamper == "edit":
        entry = json.loads(lines[2])
        entry["actor"] = "mallory"
        lines[2] = ledger.canonical(entry)
    elif tamper == "delete":
        del lines[2]
    elif tamper == "insert":
        forged = ledger.seal(
            {"action": "approve", "actor": "mallory", "time": "t", "release": "r-0"},
            3,
            json.loads(lines[1])["hash"],
        )
        lines.insert(2, ledger.canonical(forged))
    elif tamper == "reorder":
        lines[1], lines[2] = lines[2], lines[1]
    elif tamper == "truncate":  # a consistent, shorter chain: only the head record catches it
        lines = lines[:4]
    elif tamper == "drop-head":
        journal.head_path.unlink()
    _rewrite(journal, lines)
    code, text = _verify(tmp_path, monkeypatch, capsys)
    assert code == 1, text
    assert f"entry {first_bad} " in text, text


def test_a_rewritten_history_with_a_forged_head_still_fails_where_it_differs(tmp_path: Path) -> None:
    journal = _filled(tmp_path)
    head = journal.head()
    lines = journal.lines()
    entry = json.loads(lines[5])
    entry["actor"] = "mallory"
    lines[5] = ledger.canonical(ledger.seal(entry, 6, entry["prev"]))  # re-sealed, so the chain is valid
    verdict = ledger.verify(lines, head)
    assert not verdict.ok and verdict.bad == 6


def test_appends_from_many_processes_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from parity.promotion.journal import FileLedger\n"
        "j = FileLedger(Path(sys.argv[1]))\n"
        "for i in range(25):\n"
        "    j.append({'action': 'approve', 'actor': f'{sys.argv[2]}-{i}', 'time': 't', 'release': 'r'})\n"
    )
    workers = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path), f"w{n}"]) for n in range(20)]
    assert [w.wait(timeout=120) for w in workers] == [0] * 20
    journal = FileLedger(tmp_path)
    actors = [e["actor"] for e in journal.entries()]
    assert len(actors) == 500 and len(set(actors)) == 500
    assert ledger.verify(journal.lines(), journal.head()).ok


def test_a_torn_last_line_is_never_part_of_the_chain_and_the_next_append_mends_it(tmp_path: Path) -> None:
    journal = _filled(tmp_path, 3)
    with journal.path.open("ab") as out:
        out.write(b'{"action": "appro')  # a writer killed mid-line
    assert ledger.verify(journal.lines(), journal.head()).ok
    journal.append({"action": "approve", "actor": "after", "time": "t", "release": "r"})
    assert [e["seq"] for e in journal.entries()] == [1, 2, 3, 4]
    assert ledger.verify(journal.lines(), journal.head()).ok


def test_an_entry_written_before_the_crash_that_stopped_its_head_update_is_kept(tmp_path: Path) -> None:
    journal = _filled(tmp_path, 3)
    head = journal.head()
    journal.append({"action": "approve", "actor": "last", "time": "t", "release": "r"})
    journal.head_path.write_text(json.dumps(head.as_dict() if head else {}))  # the head update never happened
    assert ledger.verify(journal.lines(), journal.head()).ok  # acknowledged-but-unheaded is one past the head
    journal.append({"action": "approve", "actor": "next", "time": "t", "release": "r"})
    assert [e["actor"] for e in journal.entries()][-2:] == ["last", "next"]
    assert ledger.verify(journal.lines(), journal.head()).ok


def test_kill_9_in_the_middle_of_appending_leaves_a_ledger_that_verifies(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from parity.promotion.journal import FileLedger\n"
        "j = FileLedger(Path(sys.argv[1]))\n"
        "i = 0\n"
        "while True:\n"
        "    j.append({'action': 'approve', 'actor': 'a' * 2000 + str(i), 'time': 't', 'release': 'r'})\n"
        "    i += 1\n"
    )
    written = 0
    for _ in range(5):
        worker = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)])
        deadline = time.monotonic() + 60  # a loaded CI machine can take seconds to start Python
        while len(FileLedger(tmp_path).lines()) <= written and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.05)  # the kill lands while appends are under way, not before the first
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        journal = FileLedger(tmp_path)
        assert ledger.verify(journal.lines(), journal.head()).ok
        assert len(journal.entries()) > written  # each worker got at least one entry in before it died
        written = len(journal.lines())


def test_export_gives_auditors_csv_and_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = _filled(tmp_path, 2)
    journal.append(
        {
            "action": "promote.done",
            "actor": "rel-eng",
            "time": "t",
            "release": "r-1",
            "env": "prod",
            "details": {"approvals": ["a@x", "b@x"], "manifest": "abc"},
        }
    )
    monkeypatch.setenv("PARITY_STATE", str(tmp_path))
    root = str(Path(__file__).parent.parent)
    assert main(["audit", "export", "--format", "csv", "--repo", root]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "seq,time,action,actor,release,env,approvals,evidence,details,hash"
    assert rows[3].startswith("3,t,promote.done,rel-eng,r-1,prod,a@x;b@x,")
    assert main(["audit", "export", "--format", "json", "--repo", root]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["verified"] is True and len(document["entries"]) == 3
