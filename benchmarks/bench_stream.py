"""Benchmark the streaming consumer end to end on the real broker: 1 KB JSON events, validated
against their JSON Schema, dead letters out, batched into LocalStack S3, offsets committed.

Three runs, each on a topic of its own:
- drain: events already on the topic, consumed as fast as the consumer can (its sustained
  ceiling), against Kafka's own kafka-consumer-perf-test on the same topic (reading only, no
  validation, no sink: the floor);
- paced: a producer offers events at the seed's 25K/s peak (then the 50K/s goal) while the
  consumer runs; reported are the rate it kept and the p50/p99 end-to-end lag (message
  timestamp to the PUT of the object holding it);
- before: the sink this replaced, one synchronous PUT per event, for a few seconds.
One event in a thousand is invalid: the run fails unless exactly those reach the dead letters and
every other event is in the sink once.

Target: at least 25K events/s on this 2-core machine (goal 50K), with p99 lag.

Usage: python -m benchmarks.bench_stream [--events 400000] [--seconds 20]
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import boto3

from parity.gates.runner import values_of
from parity.gates.workloads import workload_env
from parity.rendering import render
from parity.stack import Service, stand_in_env, start_kafka, start_localstack

ROOT = Path(__file__).resolve().parents[1]
DEVENV = ROOT / ".devenv"
SUBJECT = "clickstream-value"
PARTITIONS = 3
INVALID_EVERY = 1000
POOL = 20 * INVALID_EVERY  # distinct events, offered in turn (event i is pool[i % POOL])
AWS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}  # LocalStack's fixed dummies


def stamp(i: int) -> str:
    return f"2026-03-01T{i // 3_600_000 % 24:02d}:{i // 60_000 % 60:02d}:{i // 1000 % 60:02d}Z"


def event(i: int) -> bytes:
    """A 1 KB clickstream event; every INVALID_EVERY-th breaks the schema (a bad country)."""
    return json.dumps(
        {
            "event_id": f"evt-{i:012d}",
            "customer_id": 1 + i % 50_000,
            "session_id": uuid.UUID(int=i // 20).hex,
            "event_type": ("page_view", "click", "search", "login", "export")[i % 5],
            "occurred_at": stamp(i),
            "page_url": f"https://app.finsight.example/invoices/{i % 99_991:06d}?tab=overview&filter=open",
            "referrer": None if i % 3 else "https://app.finsight.example/home",
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131",
            "ip": f"10.{i % 250}.{i // 250 % 250}.{i % 7 + 1}",
            "country": "germany" if i % INVALID_EVERY == 7 else ("DE", "FR", "NL", "IE")[i % 4],
            "amount_minor": i % 100_000 if i % 5 == 4 else None,
            "currency": "EUR" if i % 5 == 4 else None,
            "device": {"os": "linux", "model": "desktop", "app_version": "4.12.0"},
            "attributes": {f"k{k}": f"{i:08d}" * 5 for k in range(10)},
        }
    ).encode()


class Stand:
    """The broker and LocalStack, and a topic, group and bucket per run."""

    def __init__(self, kafka: Service, localstack: Service) -> None:
        self.kafka, self.localstack = kafka, localstack
        self.values = values_of(render(ROOT, "dev", validate=False).resources)
        self.s3 = boto3.client(
            "s3", endpoint_url=localstack.address, region_name=self.values["FINSIGHT_AWS_REGION"], **_aws()
        )

    def run_env(self, name: str) -> dict[str, str]:
        from confluent_kafka.admin import AdminClient, NewTopic

        env = workload_env(
            self.values,
            **stand_in_env(self.kafka.address, self.localstack.address),
            FINSIGHT_CONSUMER_GROUP=f"bench-{name}",
            FINSIGHT_EVENTS_TOPIC=f"bench.{name}",
            FINSIGHT_DEAD_LETTER_TOPIC=f"bench.{name}.dlq",
            FINSIGHT_CURATED_BUCKET=f"bench-{name}",
            PYTHONPATH=f"{ROOT}/pipelines/common:{ROOT}/pipelines/streaming",
        )
        admin = AdminClient({"bootstrap.servers": self.kafka.address})
        topics = [NewTopic(env["FINSIGHT_EVENTS_TOPIC"], PARTITIONS, 1), NewTopic(f"bench.{name}.dlq", 1, 1)]
        for future in admin.create_topics(topics).values():
            future.result(30)
        region = self.values["FINSIGHT_AWS_REGION"]
        self.s3.create_bucket(
            Bucket=env["FINSIGHT_CURATED_BUCKET"], CreateBucketConfiguration={"LocationConstraint": region}
        )
        return env

    def sunk(self, bucket: str) -> int:
        """Events in the sink, counted by reading every object."""
        total = 0
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="stream/"):
            for item in page.get("Contents", []):
                total += self.s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().count(b"\n")
        return total


def _aws() -> dict[str, str]:
    return {
        "aws_access_key_id": AWS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": AWS["AWS_SECRET_ACCESS_KEY"],
    }


def produce(address: str, topic: str, first: int, count: int, rate: float | None = None) -> float:
    """Produce events first..first+count-1, paced to `rate` per second if given; returns seconds."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": address, "linger.ms": 5, "batch.size": 1 << 20, "acks": "all"})
    pool = [event(i) for i in range(POOL)]  # made beforehand, so the producer can offer 50K/s
    started = time.monotonic()
    chunk = 500
    for start in range(first, first + count, chunk):
        for i in range(start, min(start + chunk, first + count)):
            while True:
                try:
                    producer.produce(topic, value=pool[i % POOL])
                    break
                except BufferError:
                    producer.poll(0.01)
        producer.poll(0)
        if rate is not None:
            ahead = started + (start + chunk - first) / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    if producer.flush(120) != 0:
        raise SystemExit("bench_stream: the broker did not acknowledge every event")
    return time.monotonic() - started


def consume(env: dict[str, str], replicas: int = 1, idle_polls: int = 12) -> dict[str, Any]:
    """Run `replicas` consumers of one group until the topic is drained; their stats together:
    sums, the slowest replica's lag percentiles, and the span the group was busy (seconds)."""
    command = [
        DEVENV / "venvs/streaming/bin/python", "-m", "consumers.consumer", SUBJECT,
        "--idle-polls", str(idle_polls), "--schemas", ROOT / "benchmarks/streaming",
    ]  # fmt: skip
    running = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                         cwd=ROOT / "pipelines/streaming")
        for _ in range(replicas)
    ]  # fmt: skip
    each = []
    for process in running:
        out, err = process.communicate(timeout=1800)
        if process.returncode != 0:
            raise SystemExit(f"bench_stream: a consumer failed: {err[-3000:]}")
        each.append(ast.literal_eval(out.strip().splitlines()[-1].split(": ", 1)[1]))
    busy = [s for s in each if s["first_event_at"] and s["last_put_at"]]
    span = max(s["last_put_at"] for s in busy) - min(s["first_event_at"] for s in busy)
    return {
        "written": sum(s["written"] for s in each),
        "dead_lettered": sum(s["dead_lettered"] for s in each),
        "objects": sum(s["objects"] for s in each),
        "lag_p50_ms": max(s["lag_p50_ms"] for s in busy),
        "lag_p99_ms": max(s["lag_p99_ms"] for s in busy),
        "span": span,
        "last_put_at": max(s["last_put_at"] for s in busy),
    }


def peer(address: str, topic: str, count: int) -> float:
    """kafka-consumer-perf-test (org.apache.kafka.tools.ConsumerPerformance): events/s fetched."""
    done = subprocess.run(
        ["java", "-Xmx512m", "-cp", f"{DEVENV}/jars/kafka/*", "org.apache.kafka.tools.ConsumerPerformance",
         "--bootstrap-server", address, "--topic", topic, "--messages", str(count), "--group", "bench-peer",
         "--timeout", "60000"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"bench_stream: kafka-consumer-perf-test failed: {done.stderr[-3000:]}")
    header, row = [line for line in done.stdout.splitlines() if "," in line][-2:]
    fields = dict(
        zip([h.strip() for h in header.split(",")], [r.strip() for r in row.split(",")], strict=True)
    )
    return float(fields["fetch.nMsg.sec"])


def check(stand: Stand, env: dict[str, str], stats: dict[str, Any], count: int) -> None:
    """Every valid event is in the sink exactly once and every invalid one reached the dead
    letters. Processing is at-least-once: a rebalance hands a partition's unwritten batch to its
    next owner, so `written` and `dead_lettered` may count some twice; the sink may not."""
    invalid = len([i for i in range(count) if i % INVALID_EVERY == 7])
    sunk = stand.sunk(env["FINSIGHT_CURATED_BUCKET"])
    stats["sunk"] = sunk
    if sunk != count - invalid or stats["dead_lettered"] < invalid or stats["written"] < sunk:
        raise SystemExit(f"bench_stream: {count} events, {invalid} invalid, {sunk} in the sink: {stats}")


def paced(stand: Stand, name: str, rate: int, seconds: int, replicas: int) -> dict[str, Any]:
    """Events offered at `rate` while the group runs: its lag, and how long after the last event
    was offered the last object was written."""
    env = stand.run_env(name)
    count = rate * seconds
    offered: dict[str, float] = {}
    consumer: dict[str, Any] = {}
    # Idle polls count only once partitions are assigned: the group waits for the first event.
    runner = threading.Thread(target=lambda: consumer.update(consume(env, replicas, idle_polls=40)))
    runner.start()
    time.sleep(8)  # the group has formed before the first event is offered
    offered["s"] = produce(stand.kafka.address, env["FINSIGHT_EVENTS_TOPIC"], 0, count, rate)
    offered["end"] = time.time()
    runner.join()
    check(stand, env, consumer, count)
    return {"offered": count / offered["s"], **consumer, "behind": consumer["last_put_at"] - offered["end"]}


def drain(stand: Stand, name: str, count: int, replicas: int) -> dict[str, Any]:
    env = stand.run_env(name)
    produce(stand.kafka.address, env["FINSIGHT_EVENTS_TOPIC"], 0, count)
    stats = consume(env, replicas)
    check(stand, env, stats, count)
    return {**stats, "rate": count / stats["span"], "topic": env["FINSIGHT_EVENTS_TOPIC"]}


def before(stand: Stand, seconds: float) -> float:
    """The replaced sink: one synchronous put_object per event."""
    bucket = stand.run_env("before")["FINSIGHT_CURATED_BUCKET"]
    written, started = 0, time.monotonic()
    while time.monotonic() - started < seconds:
        stand.s3.put_object(Bucket=bucket, Key=f"stream/x/evt-{written}.json", Body=event(written))
        written += 1
    return written / (time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser()
    options.add_argument("--events", type=int, default=400_000)
    options.add_argument("--seconds", type=int, default=20)
    args = options.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        kafka = start_kafka(DEVENV, Path(tmp) / "kafka")
        localstack = start_localstack(DEVENV, Path(tmp) / "localstack", services="s3")
        try:
            stand = Stand(kafka, localstack)
            print(f"{args.events} events of {len(event(1))} bytes, {PARTITIONS} partitions, "
                  f"one in {INVALID_EVERY} invalid; the sink is LocalStack S3")  # fmt: skip
            one = drain(stand, "drain1", args.events, 1)
            floor = peer(kafka.address, one["topic"], args.events)
            two = drain(stand, "drain2", args.events, 2)
            for replicas, run in ((1, one), (2, two)):
                print(f"drain   {replicas} consumer(s) {run['rate']:8.0f} events/s into S3 "
                      f"({run['objects']} objects, {run['dead_lettered']} dead letters)")  # fmt: skip
            print(f"        kafka-consumer-perf-test {floor:8.0f} events/s fetched, no validation, no sink "
                  f"(1 consumer at {one['rate'] / floor:.2f}x of it)")  # fmt: skip
            for rate in (25_000, 50_000):
                run = paced(stand, f"paced{rate}", rate, args.seconds, 2)
                print(f"paced   offered {run['offered']:7.0f}/s for {args.seconds}s to 2 consumers: lag p50 "
                      f"{run['lag_p50_ms']} ms, p99 {run['lag_p99_ms']} ms; last object written "
                      f"{run['behind']:.1f}s after the last event")  # fmt: skip
            old = before(stand, 5)
            print(
                f"before  one PUT per event: {old:7.0f} events/s (1 consumer now at {one['rate'] / old:.0f}x)"
            )
            best = max(one["rate"], two["rate"])
            verdict = "met" if best >= 25_000 else "NOT met"
            print(f"target >= 25000 events/s sustained (goal 50000): {verdict}")
            return 0 if best >= 25_000 else 1
        finally:
            localstack.stop()
            kafka.stop()


if __name__ == "__main__":
    raise SystemExit(main())
