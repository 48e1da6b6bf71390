"""The consumers against the real Kafka broker and LocalStack S3: valid events reach the sink
once each (even when delivered twice), invalid ones go to the dead-letter topic."""

from __future__ import annotations

import json
import subprocess
import uuid
from typing import Any

import boto3
import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from parity.stack import Service
from tests.platform.conftest import DEVENV, ROOT, workload_env

pytestmark = pytest.mark.integration

AWS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}  # LocalStack's fixed dummies


@pytest.fixture(scope="module")
def streaming_env(dev_values: dict[str, str], kafka: Service, localstack: Service) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:6]
    env = workload_env(
        dev_values,
        **AWS,
        FINSIGHT_KAFKA_BOOTSTRAP_SERVERS=kafka.address,
        FINSIGHT_KAFKA_SECURITY_PROTOCOL="PLAINTEXT",
        FINSIGHT_KAFKA_SASL_MECHANISM="NONE",
        FINSIGHT_S3_ENDPOINT_URL=localstack.address,
        FINSIGHT_CONSUMER_GROUP=f"ci-{suffix}",
        FINSIGHT_EVENTS_TOPIC=f"{dev_values['FINSIGHT_EVENTS_TOPIC']}.{suffix}",
        FINSIGHT_PAYMENTS_TOPIC=f"{dev_values['FINSIGHT_PAYMENTS_TOPIC']}.{suffix}",
        FINSIGHT_DEAD_LETTER_TOPIC=f"{dev_values['FINSIGHT_DEAD_LETTER_TOPIC']}.{suffix}",
        PYTHONPATH=f"{ROOT}/pipelines/common:{ROOT}/pipelines/streaming",
    )
    admin = AdminClient({"bootstrap.servers": kafka.address})
    topics = [env["FINSIGHT_EVENTS_TOPIC"], env["FINSIGHT_PAYMENTS_TOPIC"], env["FINSIGHT_DEAD_LETTER_TOPIC"]]
    for future in admin.create_topics([NewTopic(t, 3, 1) for t in topics]).values():
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
    listing = s3(env).list_objects_v2(Bucket=env["FINSIGHT_CURATED_BUCKET"], Prefix=f"stream/{dataset}/")
    return [o["Key"] for o in listing.get("Contents", [])]


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


def test_events_consumer_is_idempotent_and_dead_letters_bad_events(streaming_env: dict[str, str]) -> None:
    env = streaming_env
    producer = Producer({"bootstrap.servers": env["FINSIGHT_KAFKA_BOOTSTRAP_SERVERS"]})
    events = [
        {
            "event_id": f"evt-{i}",
            "customer_id": i,
            "event_type": "login",
            "occurred_at": "2026-03-01T10:00:00Z",
            "payload_size": 10,
        }
        for i in range(1, 41)
    ]
    for event in events + events[:10]:  # the first ten delivered twice: at-least-once upstream
        producer.produce(env["FINSIGHT_EVENTS_TOPIC"], value=json.dumps(event).encode())
    producer.produce(env["FINSIGHT_EVENTS_TOPIC"], value=b'{"event_id": "evt-bad", "event_type": "login"}')
    assert producer.flush(30) == 0
    out = consume(env, "events-value")
    assert "'written': 50" in out and "'dead_lettered': 1" in out
    assert len(sink_keys(env, "events")) == 40
    letters = dead_letters(env)
    assert len(letters) == 1 and "customer_id" in letters[0]["error"]
    assert letters[0]["source-topic"] == env["FINSIGHT_EVENTS_TOPIC"]


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
    keys = sink_keys(streaming_env, "payments")
    assert len(keys) == 20 and all("/dt=2026-03-01/" in k for k in keys)
