"""Replay dead letters to their source topic after a fix: `python -m consumers.replay --from DLQ --max N`.
Each replayed message gets a new offset on its source topic. The group commits what it replayed, so
a second run replays only newer dead letters; readers of the sink dedupe by event id."""

from __future__ import annotations

import argparse
import sys

from confluent_kafka import Consumer, Producer
from platform_settings import load


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="replay")
    parser.add_argument("--from", dest="source", required=True)
    parser.add_argument("--max", type=int, required=True)
    args = parser.parse_args(argv)
    settings = load()
    common = settings.kafka_client_config()
    consumer = Consumer(
        {
            **common,
            "group.id": f"{settings.consumer_group}.replay",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    producer = Producer({**common, "enable.idempotence": True})
    consumer.subscribe([args.source])
    replayed = 0
    try:
        while replayed < args.max:
            message = consumer.poll(5.0)
            if message is None:
                break
            headers = dict(message.headers() or [])
            target = headers.get("source-topic")
            if target:
                producer.produce(target.decode(), value=message.value(), key=message.key())
                replayed += 1
        producer.flush(30)
        consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    print(f"replayed {replayed} message(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
