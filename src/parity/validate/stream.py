"""Edge of `parity validate stream`: replay one recorded masked event sample into the real Kafka
broker, run the baseline's and the candidate's consumers on it (each its commit's
`pipelines/streaming`, in this checkout's locked streaming venv), each side in its own consumer
group, dead-letter topic and sink bucket (LocalStack S3), then read back what each wrote.

The recording is JSON lines, one message each: `{"subject", "key", "value"}` with `value` the
event itself (JSON subjects) or `{"subject", "key", "value_b64"}` with the raw bytes (any
subject, Avro included); `record_topic` makes one from a range of a live topic.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity import loaders
from parity.devenv import locate, venv_bin
from parity.errors import BadInput
from parity.gates import workloads
from parity.stack import stand_in_env, start_kafka, start_localstack
from parity.validate.batch import SETTINGS, Side, checkout
from parity.validate.streamdiff import Outcome

STREAMING = ("pipelines/streaming", "pipelines/common", "pipelines/schemas")
RANGE_KEY = re.compile(r"^stream/[^/]+/topic=[^/]+/partition=(\d+)/(\d{20})-\d{20}\.jsonl$")


@dataclass(frozen=True)
class Recorded:
    subject: str
    key: bytes | None
    value: bytes


def identities(root: Path) -> dict[str, tuple[str, str]]:
    """subject -> (id field, key field), from pipelines/validate.yaml's `stream` section."""
    if not (root / SETTINGS).is_file():
        return {}
    document = loaders.Fields(loaders.load_yaml(root, SETTINGS) or {}, str(SETTINGS))
    return {
        subject: (e.string("id"), e.string("key")) for subject, e in document.tables("stream", {}).items()
    }


def load_recording(path: Path) -> list[Recorded]:
    where = str(path)
    text = loaders.read_text(path, where, "Record a masked event sample (parity validate stream --help)")
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            subject = record["subject"]
            key = record.get("key")
            if "value_b64" in record:
                value = base64.b64decode(record["value_b64"], validate=True)
            else:
                value = json.dumps(record["value"]).encode()
        except (ValueError, KeyError, TypeError) as exc:
            raise BadInput(
                f"{where}:{number}", f"is not a recorded message ({exc})",
                'Give {"subject", "key", "value"} or {"subject", "key", "value_b64"} per line',
            ) from None  # fmt: skip
        out.append(Recorded(str(subject), None if key is None else str(key).encode(), value))
    if not out:
        raise BadInput(where, "holds no message", "Record a sample with at least one message")
    return out


def record_topic(bootstrap: str, topic: str, subject: str, start: int, end: int) -> list[Recorded]:
    """Offsets [start, end) of every partition of a live topic, as a recording."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"parity-record-{uuid.uuid4().hex[:6]}",
                         "enable.auto.commit": False})  # fmt: skip
    out = []
    try:
        metadata = consumer.list_topics(topic, timeout=30).topics.get(topic)
        if metadata is None or metadata.error is not None:
            raise BadInput(f"--topic {topic}", f"is not a topic on {bootstrap}", "Name an existing topic")
        for partition in sorted(metadata.partitions):
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=30)
            stop = min(end, high)
            if max(start, low) >= stop:
                continue
            consumer.assign([TopicPartition(topic, partition, max(start, low))])
            while True:
                message = consumer.poll(10)
                offset = -1 if message is None or message.error() else (message.offset() or 0)
                if message is None or offset < 0 or offset >= stop:
                    break
                out.append(Recorded(subject, message.key(), message.value() or b""))
                if offset == stop - 1:
                    break
    finally:
        consumer.close()
    return out


def _replay(address: str, topic: str, messages: list[Recorded]) -> None:
    from confluent_kafka import Producer

    # log_level 3: errors only (not the warnings of a broker still electing its coordinator)
    producer = Producer(
        {"bootstrap.servers": address, "enable.idempotence": True, "acks": "all", "log_level": 3}
    )
    for message in messages:
        producer.produce(topic, value=message.value, key=message.key)
    if producer.flush(60) != 0:
        raise BadInput("kafka", "did not acknowledge the replayed sample", "See the broker's log")


def _topics(address: str, names: dict[str, int]) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

    admin = AdminClient({"bootstrap.servers": address})
    for future in admin.create_topics([NewTopic(t, n, 1) for t, n in names.items()]).values():
        future.result(30)


def read_sink(s3: Any, bucket: str, dataset: str) -> tuple[list[dict[str, Any]], bool]:
    """Every event a side wrote, partition by partition in offset order, and whether that order is
    known (the sink's keys name partitions and offsets)."""
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"stream/{dataset}/"):
        keys += [item["Key"] for item in page.get("Contents", [])]
    ranged = {k: RANGE_KEY.match(k) for k in keys}
    known = all(ranged.values())
    order = sorted(keys, key=lambda k: (int(m[1]), int(m[2])) if (m := ranged[k]) else (-1, 0))
    events = []
    for key in order if known else sorted(keys):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        events += [json.loads(line) for line in body.splitlines() if line.strip()]
    return events, known


def _offsets(address: str, group: str, topic: str, partitions: int) -> tuple[dict[int, int], int]:
    """The group's committed offset per partition of `topic`, and how many messages it holds."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": address, "group.id": group, "enable.auto.commit": False})
    try:
        wanted = [TopicPartition(topic, p) for p in range(partitions)]
        committed = {tp.partition: tp.offset for tp in consumer.committed(wanted, timeout=30)}
        held = sum(h - lo for lo, h in (consumer.get_watermark_offsets(tp, timeout=30) for tp in wanted))
    finally:
        consumer.close()
    return committed, held


def run(
    root: Path,
    values: dict[str, str],
    sides: tuple[Side, Side],
    recorded: list[Recorded],
    partitions: dict[str, int],
    work: Path,
) -> dict[str, dict[str, Outcome]]:
    """side -> subject -> what that side's consumer did with the replayed messages."""
    import boto3  # type: ignore[import-untyped]

    run_id = uuid.uuid4().hex[:6]
    subjects = sorted({r.subject for r in recorded})
    kafka = start_kafka(locate(root), work / "kafka")
    localstack = start_localstack(locate(root), work / "localstack", services="s3")
    try:
        region = values["FINSIGHT_AWS_REGION"]
        stand_in = stand_in_env(kafka.address, localstack.address)
        keys = {
            "aws_access_key_id": stand_in["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": stand_in["AWS_SECRET_ACCESS_KEY"],
        }
        s3 = boto3.client("s3", endpoint_url=localstack.address, region_name=region, **keys)
        source = {s: f"validate.{run_id}.{s}" for s in subjects}
        dlq = {(side.name, s): f"validate.{run_id}.{side.name}.{s}.dlq" for side in sides for s in subjects}
        wanted = {**{source[s]: partitions.get(s, 3) for s in subjects}, **dict.fromkeys(dlq.values(), 1)}
        _topics(kafka.address, wanted)
        for subject in subjects:
            _replay(kafka.address, source[subject], [r for r in recorded if r.subject == subject])
        for side in sides:
            checkout(root, side, work / side.name, STREAMING)
            s3.create_bucket(Bucket=f"validate-{run_id}-{side.name}",
                             CreateBucketConfiguration={"LocationConstraint": region})  # fmt: skip

        def one(side: Side, subject: str) -> Outcome:
            tree = work / side.name / "pipelines"
            setting = _topic_variable(tree / "schemas", subject)
            env = workloads.workload_env(
                values,
                **stand_in,
                FINSIGHT_CONSUMER_GROUP=f"validate-{run_id}-{side.name}",
                FINSIGHT_DEAD_LETTER_TOPIC=dlq[(side.name, subject)],
                FINSIGHT_CURATED_BUCKET=f"validate-{run_id}-{side.name}",
                PYTHONPATH=f"{tree / 'common'}:{tree / 'streaming'}",
                **{setting: source[subject]},
            )
            command = [
                venv_bin(root, "streaming", "python"),
                "-m",
                "consumers.consumer",
                subject,
                "--idle-polls=8",
            ]
            log = work / f"consumer-{side.name}-{subject}.log"
            done = workloads.logged(command, log, env=env, cwd=tree / "streaming", timeout=900)
            events, known = read_sink(s3, f"validate-{run_id}-{side.name}", subject.removesuffix("-value"))
            group = f"validate-{run_id}-{side.name}.{subject}"
            committed, _ = _offsets(kafka.address, group, source[subject], partitions.get(subject, 3))
            _, letters = _offsets(kafka.address, group, dlq[(side.name, subject)], 1)
            return Outcome(done.returncode, workloads.last_line(done), events, known, letters, committed)

        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {(side.name, s): pool.submit(one, side, s) for side in sides for s in subjects}
            return {side.name: {s: futures[(side.name, s)].result() for s in subjects} for side in sides}
    finally:
        localstack.stop()
        kafka.stop()


def _topic_variable(schemas: Path, subject: str) -> str:
    """The environment variable naming a subject's topic (subjects.yaml's topic_setting)."""
    source = "pipelines/schemas/subjects.yaml"
    subjects = loaders.Fields(loaders.load_yaml(schemas, "subjects.yaml") or {}, source).tables(
        "subjects", {}
    )
    if subject not in subjects:
        raise BadInput(f"subject {subject}", f"is not in {source}", "Record a declared subject")
    return f"FINSIGHT_{subjects[subject].string('topic_setting').upper()}"


def logical_topics(root: Path) -> dict[str, str]:
    """subject -> its topic's name in `spec.topicConfig` (topic_setting `events_topic`: `events`)."""
    source = "pipelines/schemas/subjects.yaml"
    subjects = loaders.Fields(loaders.load_yaml(root, source) or {}, source).tables("subjects", {})
    return {name: entry.string("topic_setting").removesuffix("_topic") for name, entry in subjects.items()}
