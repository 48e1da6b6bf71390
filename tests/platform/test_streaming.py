"""The consumers against the real Kafka broker and LocalStack S3: valid events reach the sink in
batches keyed by offset range, each offset exactly once even across a kill -9, and invalid ones go
to the dead-letter topic."""

from __future__ import annotations

import itertools
import json
import re
import signal
import subprocess
import time
import uuid
from typing import Any

import boto3
import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from parity.stack import Service, stand_in_env
from tests.platform.conftest import DEVENV, ROOT, workload_env

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def streaming_env(dev_values: dict[str, str], kafka: Service, localstack: Service) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:6]
    env = workload_env(
        dev_values,
        **stand_in_env(kafka.address, localstack.address),
        FINSIGHT_CONSUMER_GROUP=f"ci-{suffix}",
        FINSIGHT_EVENTS_TOPIC=f"{dev_values['FINSIGHT_EVENTS_TOPIC']}.{suffix}",
        FINSIGHT_PAYMENTS_TOPIC=f"{dev_values['FINSIGHT_PAYMENTS_TOPIC']}.{suffix}",
        FINSIGHT_DEAD_LETTER_TOPIC=f"{dev_values['FINSIGHT_DEAD_LETTER_TOPIC']}.{suffix}",
        PYTHONPATH=f"{ROOT}/pipelines/common:{ROOT}/pipelines/streaming",
    )
    topics = [env["FINSIGHT_EVENTS_TOPIC"], env["FINSIGHT_PAYMENTS_TOPIC"], env["FINSIGHT_DEAD_LETTER_TOPIC"]]
    return provision(env, topics, 3)


def provision(env: dict[str, str], topics: list[str], partitions: int) -> dict[str, str]:
    """Create the topics on the broker and the environment's curated bucket; returns `env`."""
    admin = AdminClient({"bootstrap.servers": env["FINSIGHT_KAFKA_BOOTSTRAP_SERVERS"]})
    for future in admin.create_topics([NewTopic(t, partitions, 1) for t in topics]).values():
        future.result(30)
    s3(env).create_bucket(
        Bucket=env["FINSIGHT_CURATED_BUCKET"],
        CreateBucketConfiguration={"LocationConstraint": env["FINSIGHT_AWS_REGION"]},
    )
    return env


def s3(env: dict[str, str]) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=env["FINSIGHT_S3_ENDPOINT_URL"],
        region_name=env["FINSIGHT_AWS_REGION"],
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def stream_python(
    env: dict[str, str], *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [DEVENV / "venvs/streaming/bin/python", *args],
        capture_output=True,
        env=env,
        cwd=ROOT / "pipelines/streaming",
        timeout=300,
        input=stdin,
    )


def consume(env: dict[str, str], subject: str) -> str:
    done = stream_python(env, "-m", "consumers.consumer", subject, "--idle-polls", "5")
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return done.stdout.decode()


def sink_keys(env: dict[str, str], dataset: str) -> list[str]:
    pages = s3(env).get_paginator("list_objects_v2")
    found = pages.paginate(Bucket=env["FINSIGHT_CURATED_BUCKET"], Prefix=f"stream/{dataset}/")
    return [o["Key"] for page in found for o in page.get("Contents", [])]


def sink_events(env: dict[str, str], dataset: str) -> list[dict[str, Any]]:
    """Every event in the sink, object by object in key order (offset order within a partition)."""
    client, bucket = s3(env), env["FINSIGHT_CURATED_BUCKET"]
    events = []
    for key in sorted(sink_keys(env, dataset)):
        body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        events += [json.loads(line) for line in body.splitlines()]
    return events


def ranges(keys: list[str], topic: str) -> dict[int, list[tuple[int, int]]]:
    """Offset ranges per partition from the sink's object keys (which must all be well-formed)."""
    found: dict[int, list[tuple[int, int]]] = {}
    for key in keys:
        match = re.fullmatch(
            rf"stream/\w+/topic={re.escape(topic)}/partition=(\d+)/(\d{{20}})-(\d{{20}})\.jsonl", key
        )
        assert match, key
        found.setdefault(int(match[1]), []).append((int(match[2]), int(match[3])))
    return {p: sorted(r) for p, r in found.items()}


def dead_letters(env: dict[str, str]) -> list[dict[str, str]]:
    consumer = Consumer(
        {
            "bootstrap.servers": env["FINSIGHT_KAFKA_BOOTSTRAP_SERVERS"],
            "group.id": f"dlq-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([env["FINSIGHT_DEAD_LETTER_TOPIC"]])
    found = []
    try:
        for _ in range(15):
            message = consumer.poll(1.0)
            if message is not None and not message.error():
                found.append({k: v.decode() for k, v in message.headers() or []})
    finally:
        consumer.close()
    return found


def event(i: int) -> dict[str, Any]:
    return {
        "event_id": f"evt-{i}",
        "customer_id": i,
        "event_type": "login",
        "occurred_at": "2026-03-01T10:00:00Z",
        "payload_size": 10,
    }


def produce(env: dict[str, str], topic: str, payloads: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": env["FINSIGHT_KAFKA_BOOTSTRAP_SERVERS"], "linger.ms": 20})
    for payload in payloads:
        producer.produce(topic, value=payload)
        producer.poll(0)
    assert producer.flush(60) == 0


def test_events_consumer_batches_by_offset_range_and_dead_letters_bad_events(
    streaming_env: dict[str, str],
) -> None:
    env = streaming_env
    events = [event(i) for i in range(1, 41)]
    payloads = [json.dumps(e).encode() for e in events + events[:10]]  # ten twice: at-least-once upstream
    produce(env, env["FINSIGHT_EVENTS_TOPIC"], [*payloads, b'{"event_id": "evt-bad", "event_type": "login"}'])
    out = consume(env, "events-value")
    assert "'written': 50" in out and "'dead_lettered': 1" in out
    keys = sink_keys(env, "events")
    # Every offset of the topic (51, the dead letter's included) is covered once, with no gap.
    covered = ranges(keys, env["FINSIGHT_EVENTS_TOPIC"])
    for spans in covered.values():
        assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(spans)) and spans[0][0] == 0
    assert sum(last - first + 1 for spans in covered.values() for first, last in spans) == 51
    written = sink_events(env, "events")
    assert len(written) == 50 and {e["event_id"] for e in written} == {e["event_id"] for e in events}
    letters = dead_letters(env)
    assert len(letters) == 1 and "customer_id" in letters[0]["error"]
    assert letters[0]["source-topic"] == env["FINSIGHT_EVENTS_TOPIC"]
    again = consume(env, "events-value")  # everything is committed: nothing is written twice
    assert "'written': 0" in again and sorted(sink_keys(env, "events")) == sorted(keys)


def own_topic(env: dict[str, str], partitions: int) -> dict[str, str]:
    """The environment with an events topic, consumer group and bucket of one test's own."""
    suffix = uuid.uuid4().hex[:6]
    mine = {
        **env,
        "FINSIGHT_EVENTS_TOPIC": f"{env['FINSIGHT_EVENTS_TOPIC']}.{suffix}",
        "FINSIGHT_CONSUMER_GROUP": f"{env['FINSIGHT_CONSUMER_GROUP']}-{suffix}",
        "FINSIGHT_CURATED_BUCKET": f"{env['FINSIGHT_CURATED_BUCKET']}-{suffix}",
    }
    return provision(mine, [mine["FINSIGHT_EVENTS_TOPIC"]], partitions)


def test_kill_9_mid_batch_then_restart_leaves_every_event_exactly_once(streaming_env: dict[str, str]) -> None:
    env = own_topic(streaming_env, 3)
    total = 30_000
    produce(env, env["FINSIGHT_EVENTS_TOPIC"], [json.dumps(event(i)).encode() for i in range(1, total + 1)])
    consumer = subprocess.Popen(
        [
            DEVENV / "venvs/streaming/bin/python",
            "-m",
            "consumers.consumer",
            "events-value",
            "--max-events",
            "1000",
        ],
        env=env,
        cwd=ROOT / "pipelines/streaming",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while len(sink_keys(env, "events")) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        consumer.send_signal(signal.SIGKILL)
        consumer.wait(30)
    before = len(sink_events(env, "events"))
    assert 0 < before < total, f"the kill came at {before} of {total} events, not mid-run"
    out = consume(env, "events-value")
    ids = [e["event_id"] for e in sink_events(env, "events")]
    assert len(ids) == total and len(set(ids)) == total, out
    spans = ranges(sink_keys(env, "events"), env["FINSIGHT_EVENTS_TOPIC"])
    assert sum(last - first + 1 for p in spans.values() for first, last in p) == total


def test_an_object_a_crash_left_uncommitted_is_not_written_again(streaming_env: dict[str, str]) -> None:
    """A crash between a batch's PUT and its commit: the object for offsets 0-39 exists, the group
    has committed nothing. The restarted consumer resumes at 40."""
    env = own_topic(streaming_env, 1)
    payloads = [json.dumps(event(i)).encode() for i in range(1, 101)]
    produce(env, env["FINSIGHT_EVENTS_TOPIC"], payloads)
    left = f"stream/events/topic={env['FINSIGHT_EVENTS_TOPIC']}/partition=0/{0:020d}-{39:020d}.jsonl"
    s3(env).put_object(
        Bucket=env["FINSIGHT_CURATED_BUCKET"], Key=left, Body=b"\n".join(payloads[:40]) + b"\n"
    )
    out = consume(env, "events-value")
    assert "'written': 60" in out, out
    assert ranges(sink_keys(env, "events"), env["FINSIGHT_EVENTS_TOPIC"]) == {0: [(0, 39), (40, 99)]}
    assert [e["event_id"] for e in sink_events(env, "events")] == [f"evt-{i}" for i in range(1, 101)]


ENCODE_PAYMENTS = """
from datetime import UTC, datetime
from consumers.schemas import subjects
from confluent_kafka import Producer
import os
subject = subjects()["payments-value"]
producer = Producer({"bootstrap.servers": os.environ["FINSIGHT_KAFKA_BOOTSTRAP_SERVERS"]})
for i in range(1, 21):
    record = {"payment_id": i, "invoice_id": i, "customer_id": i, "amount_minor": 1000 * i, "currency": "EUR",
              "status": "SUCCEEDED", "paid_at": datetime(2026, 3, 1, 10, tzinfo=UTC), "method": "sepa",
              "failure_reason": None}
    producer.produce(os.environ["FINSIGHT_PAYMENTS_TOPIC"], value=subject.encode(record))
producer.produce(os.environ["FINSIGHT_PAYMENTS_TOPIC"], value=b"not avro")
assert producer.flush(30) == 0
"""


def test_payments_consumer_decodes_avro(streaming_env: dict[str, str]) -> None:
    done = stream_python(streaming_env, "-c", ENCODE_PAYMENTS)
    assert done.returncode == 0, done.stderr.decode()
    out = consume(streaming_env, "payments-value")
    assert "'written': 20" in out and "'dead_lettered': 1" in out
    written = sink_events(streaming_env, "payments")
    assert sorted(p["payment_id"] for p in written) == list(range(1, 21))
    assert all(p["paid_at"].startswith("2026-03-01 10:00:00") for p in written)
