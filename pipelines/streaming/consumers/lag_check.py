"""Fail (exit 1) when a consumer group's lag on a topic exceeds a bound. Used by the
streaming_health DAGs: `python -m consumers.lag_check --topic T --max-lag N`."""

from __future__ import annotations

import argparse
import sys

from confluent_kafka import Consumer, TopicPartition
from platform_settings import load


def lag(consumer: Consumer, topic: str) -> int:
    metadata = consumer.list_topics(topic, timeout=30).topics[topic]
    partitions = [TopicPartition(topic, p) for p in metadata.partitions]
    total = 0
    for tp in consumer.committed(partitions, timeout=30):
        _, high = consumer.get_watermark_offsets(tp, timeout=30)
        total += high - max(tp.offset, 0)
    return total


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="lag_check")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group-suffix", default="events-value")
    parser.add_argument("--max-lag", type=int, required=True)
    args = parser.parse_args(argv)
    settings = load()
    consumer = Consumer(
        {
            **settings.kafka_client_config(),
            "group.id": f"{settings.consumer_group}.{args.group_suffix}",
        }
    )
    try:
        current = lag(consumer, args.topic)
    finally:
        consumer.close()
    print(f"lag on {args.topic}: {current} (max {args.max_lag})")
    return 1 if current > args.max_lag else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
