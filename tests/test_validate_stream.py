"""Stream validation: the comparison and the topic rules on their own, then `parity validate stream`
replaying one recorded sample into the real Kafka broker for two commits' consumers."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest

from parity import cli
from parity.validate import streamdiff, topics
from tests.conftest import commit_edit

ROOT = Path(__file__).resolve().parent.parent
DEVENV = ROOT / ".devenv"


def _events(n: int) -> list[dict[str, Any]]:
    return [{"event_id": f"e{i}", "customer_id": i % 3, "payload_size": i} for i in range(n)]


def test_a_dropped_field_a_reordered_key_and_lost_or_doubled_events_are_each_reported() -> None:
    base = _events(9)
    same = streamdiff.compare("s", base, [dict(e) for e in base], "event_id", "customer_id")
    assert same.match and same.events == {"baseline": 9, "candidate": 9}
    dropped = [{k: v for k, v in e.items() if k != "payload_size"} for e in base]
    diff = streamdiff.compare("s", base, dropped, "event_id", "customer_id")
    assert [c.id for c in diff.changed] == [e["event_id"] for e in base]
    assert diff.changed[4].fields == {"payload_size": (4, streamdiff.ABSENT)} and not diff.reordered
    swapped = [base[3], base[1], base[2], base[0], *base[4:]]  # customer 0's e0 and e3 swap
    diff = streamdiff.compare("s", base, swapped, "event_id", "customer_id")
    assert diff.reordered == {"0": (["e0", "e3", "e6"], ["e3", "e0", "e6"])} and not diff.changed
    # Another partition's order (another key) is no reordering.
    other = [base[1], base[0], *base[2:]]
    assert streamdiff.compare("s", base, other, "event_id", "customer_id").match
    diff = streamdiff.compare("s", base, [*base[1:], base[5], {"x": 1}], "event_id", "customer_id")
    assert (
        diff.missing == ["e0"] and diff.duplicated == {"e5": (1, 2)} and diff.unidentified == {"candidate": 1}
    )
    unordered = streamdiff.compare("s", base, swapped, "event_id", "customer_id", ordering_known=False)
    assert unordered.match and not unordered.ordering_known


def _spec(**change: Any) -> dict[str, Any]:
    spec = {"partitions": 6, "replicationFactor": 3, "retentionMs": 1000, "cleanupPolicy": "delete"}
    return {**spec, "minInsyncReplicas": 2, **change}


def test_topic_rules_across_environments_and_across_releases() -> None:
    parsed = topics.declared(
        {
            "dev": {"topicConfig": {"events": _spec(partitions=3)}},
            "staging": {"topicConfig": {"events": _spec(retentionMs=10)}},
            "prod": {"topicConfig": {"events": _spec(), "ledger": _spec(cleanupPolicy="compact")}},
        }
    )
    problems = topics.across(parsed)
    assert problems == [
        "events: staging declares retention.ms 10, prod 1000",
        "ledger: not declared in dev",
        "ledger: not declared in staging",
    ]  # dev may have fewer partitions; only staging must equal prod
    wrong = topics.declared({"dev": {"topicConfig": {"events": _spec(minInsyncReplicas=4)}}})
    assert topics.across(wrong) == ["events in dev: min.insync.replicas 4 exceeds replication.factor 3"]
    mixed = topics.declared(
        {e: {"topicConfig": {"t": _spec(cleanupPolicy=p)}} for e, p in [("a", "delete"), ("b", "compact")]}
    )
    assert topics.across(mixed) == ["t: cleanup.policy differs across environments (a delete, b compact)"]
    assert topics.compare(parsed["prod"], parsed["staging"]) == [
        "events: retention.ms 1000 -> 10",
        "ledger: declared in the baseline only",
    ]


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ({"events": _spec(partitions="6")}, "spec.topicConfig.events.partitions is '6'"),
        ({"events": {**_spec(), "retention": 1}}, "spec.topicConfig.events: unknown retention"),
        ({"events": {"partitions": 1}}, "spec.topicConfig.events: missing replicationFactor"),
        ({"events": _spec(cleanupPolicy="forever")}, "spec.topicConfig.events.cleanupPolicy is 'forever'"),
        ({}, "spec.topicConfig is missing or empty"),
    ],
)
def test_a_malformed_topic_declaration_names_the_file_and_the_field(
    section: dict[str, Any], problem: str
) -> None:
    with pytest.raises(Exception) as caught:
        topics.parse({"topicConfig": section}, "overlays/dev/values.yaml")
    assert str(caught.value).startswith(f"overlays/dev/values.yaml: {problem}")


def test_parity_check_fails_naming_the_topic_when_staging_strays_from_prod(repo_copy: Path) -> None:
    values = repo_copy / "overlays/staging/values.yaml"
    values.write_text(values.read_text().replace("cleanupPolicy: delete", "cleanupPolicy: compact", 1))
    done = subprocess.run(
        [DEVENV / "bin/parity", "check", "--repo", repo_copy], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1
    found = [line for line in done.stdout.splitlines() if "[topic-config]" in line]
    assert any("events: cleanup.policy differs across environments" in line for line in found), found
    assert any(
        "events: staging declares cleanup.policy 'compact', prod 'delete'" in line for line in found
    ), found


# ---- parity validate stream on the real broker ------------------------------------------------

ENCODE = """
import base64, json, sys
from datetime import UTC, datetime
from consumers.schemas import subjects
subject = subjects()["payments-value"]
for i in range(1, 41):
    record = {"payment_id": i, "invoice_id": i, "customer_id": i % 7 + 1, "amount_minor": 1000 * i,
              "currency": "EUR", "status": "SUCCEEDED", "paid_at": datetime(2026, 3, 1, 10, i, tzinfo=UTC),
              "method": "sepa", "failure_reason": None}
    print(json.dumps({"subject": "payments-value", "key": str(record["customer_id"]),
                      "value_b64": base64.b64encode(subject.encode(record)).decode()}))
"""


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A masked sample as recorded: 300 product events of 40 customers, one invalid, and 40 Avro
    payments (raw bytes)."""
    rng = random.Random(13)  # noqa: S311 - a reproducible sample, not a secret
    lines = []
    for i in range(1, 301):
        customer = rng.randint(1, 40)
        at = f"2026-03-01T10:{i // 60:02d}:{i % 60:02d}Z"
        event = {
            "event_id": f"evt-{i:05d}",
            "customer_id": customer,
            "event_type": "login",
            "occurred_at": at,
        }
        event["payload_size"] = rng.randint(0, 900)
        lines.append(json.dumps({"subject": "events-value", "key": str(customer), "value": event}))
    lines.append(json.dumps({"subject": "events-value", "key": "9", "value": {"event_id": "evt-bad"}}))
    done = subprocess.run(
        [DEVENV / "venvs/streaming/bin/python", "-c", ENCODE],
        cwd=ROOT / "pipelines/streaming",
        env={"PYTHONPATH": f"{ROOT}/pipelines/common:{ROOT}/pipelines/streaming"},
        capture_output=True,
        text=True,
        check=True,
    )
    path = tmp_path_factory.mktemp("recording") / "sample.jsonl"
    path.write_text("\n".join([*lines, *done.stdout.splitlines()]) + "\n")
    return path


def _validate(
    repo: Path, recording: Path, capsys: pytest.CaptureFixture[str], baseline: str = "HEAD~1"
) -> tuple[int, dict[str, Any]]:
    args = ["--baseline", baseline, "--candidate", "HEAD", "--events", str(recording), "--format", "json"]
    code = cli.main(["validate", "stream", "--repo", str(repo), *args])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.integration
def test_identical_commits_report_no_differences(
    repo_git: Path, recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--baseline", "HEAD", "--candidate", "HEAD", "--events", str(recording)]
    assert cli.main(["validate", "stream", "--repo", str(repo_git), *args]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    # Compared, not skipped: each side's consumer wrote every valid event and dead-lettered one.
    assert "events-value: match (events written: baseline 300, candidate 300; dead letters 1/1)" in out
    assert "payments-value: match (events written: baseline 40, candidate 40; dead letters 0/0)" in out
    assert out[-1].endswith("341 message(s) replayed, 2 subject(s) compared, no differences")


@pytest.mark.integration
def test_a_candidate_consumer_that_drops_a_field_is_caught(
    repo_git: Path, recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drop = "            event.pop('payload_size', None)\n"
    commit_edit(
        repo_git, "pipelines/streaming/consumers/schemas.py", "            return payload\n", drop, "drop"
    )
    day = "retentionMs: 86400000"
    commit_edit(repo_git, "overlays/prod/values.yaml", "retentionMs: 604800000", day, "prod events: one day")
    code, report = _validate(repo_git, recording, capsys, baseline="HEAD~2")
    assert code == 1 and not report["ok"]
    subjects = {s["subject"]: s for s in report["subjects"]}
    assert subjects["payments-value"]["match"]
    events = subjects["events-value"]
    assert len(events["changed"]) == 300 and not events["reordered"] and not events["missing"]
    assert all(
        list(c["fields"]) == ["payload_size"] and c["fields"]["payload_size"][1] == "<absent>"
        for c in events["changed"]
    )
    rules = {f["rule"] for f in report["findings"]}
    assert rules == {"validate/stream-changed", "validate/topic-config"}
    topic = [f["message"] for f in report["findings"] if f["rule"] == "validate/topic-config"]
    assert "events: retention.ms 604800000 -> 86400000" in topic  # prod, baseline -> candidate
    assert "events: staging declares retention.ms 604800000, prod 86400000" in topic


@pytest.mark.integration
def test_a_candidate_consumer_that_reorders_a_keys_events_is_caught(
    repo_git: Path, recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    joined, reversed_ = 'b"\\n".join(batch.lines)', 'b"\\n".join(reversed(batch.lines))'
    commit_edit(repo_git, "pipelines/streaming/consumers/sink.py", joined, reversed_, "newest first")
    code, report = _validate(repo_git, recording, capsys)
    assert code == 1
    events = {s["subject"]: s for s in report["subjects"]}["events-value"]
    assert not events["changed"] and not events["missing"] and events["reordered"]
    for key, order in events["reordered"].items():
        assert order["candidate"] == list(reversed(order["baseline"])), key
    assert {f["rule"] for f in report["findings"]} == {"validate/stream-order"}


def test_a_malformed_recording_is_one_line_exit_2(
    repo_git: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"subject": "events-value", "value": {}}\nnot json\n')
    args = ["validate", "stream", "--repo", str(repo_git), "--baseline", "HEAD", "--candidate", "HEAD"]
    assert cli.main([*args, "--events", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"parity: {bad}:2: is not a recorded message")
    bad.write_text(json.dumps({"subject": "audit-value", "value": {}}) + "\n")
    assert cli.main([*args, "--events", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "subject audit-value" in err[0] and "stream" in err[0]
    assert cli.main([*args, "--topic", "t"]) == 2
    assert "needs --bootstrap-servers" in capsys.readouterr().err


@pytest.mark.integration
def test_a_sample_recorded_from_a_live_topic_range_keeps_keys_and_bytes(tmp_path: Path) -> None:
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    from parity.stack import start_kafka
    from parity.validate import stream

    kafka = start_kafka(DEVENV, tmp_path / "kafka")
    try:
        admin = AdminClient({"bootstrap.servers": kafka.address})
        admin.create_topics([NewTopic("live.events", 2, 1)])["live.events"].result(30)
        producer = Producer({"bootstrap.servers": kafka.address})
        for i in range(40):
            producer.produce("live.events", value=f"v{i}".encode(), key=f"k{i}".encode(), partition=i % 2)
        assert producer.flush(30) == 0
        recorded = stream.record_topic(kafka.address, "live.events", "events-value", 5, 15)
    finally:
        kafka.stop()
    # Offsets 5..14 of each partition: partition 0 holds the even messages, partition 1 the odd.
    assert sorted(r.value.decode() for r in recorded) == sorted(
        f"v{2 * n + p}" for p in (0, 1) for n in range(5, 15)
    )
    assert all(r.key == b"k" + r.value[1:] and r.subject == "events-value" for r in recorded)
