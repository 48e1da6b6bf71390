"""The consumer loop shared by every consumer Deployment: `python -m consumers.consumer SUBJECT`.

At-least-once: offsets are committed only after the batch reached the sink. Messages that do not
decode or validate go to the dead-letter topic with the reason in a header, and are committed
too, so one poison message never blocks a partition.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Consumer, KafkaException, Message, Producer
from platform_settings import PlatformSettings, load

from consumers.schemas import InvalidEvent, Subject, subjects
from consumers.sink import S3EventSink

ASSIGNMENT_POLLS = 120  # one-second polls to wait for the group to assign partitions

ID_FIELDS = ("event_id", "payment_id", "entry_id")
TIME_FIELDS = ("occurred_at", "paid_at", "booked_at")


def identity(event: dict[str, Any]) -> tuple[str, str]:
    event_id = next(str(event[f]) for f in ID_FIELDS if f in event)
    stamp = next(event[f] for f in TIME_FIELDS if f in event)
    if isinstance(stamp, datetime):
        day = stamp.date().isoformat()
    elif isinstance(stamp, int):
        day = datetime.fromtimestamp(stamp / 1000, UTC).date().isoformat()
    else:
        day = str(stamp)[:10]
    return event_id, day


class Pipeline:
    def __init__(self, settings: PlatformSettings, subject: Subject, sink: S3EventSink) -> None:
        self.settings = settings
        self.subject = subject
        self.sink = sink
        self.topic = str(getattr(settings, subject.topic_setting))
        common = settings.kafka_client_config()
        self.consumer = Consumer(
            {
                **common,
                "group.id": f"{settings.consumer_group}.{subject.name}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            }
        )
        self.dead_letters = Producer({**common, "enable.idempotence": True, "acks": "all"})
        self.stats = {"written": 0, "dead_lettered": 0}

    def handle(self, message: Message) -> None:
        payload = message.value() or b""
        try:
            event = self.subject.decode(payload)
            event_id, day = identity(event)
        except (InvalidEvent, StopIteration, KeyError) as exc:
            self.dead_letters.produce(
                self.settings.dead_letter_topic,
                value=payload,
                key=message.key(),
                headers={
                    "error": str(exc)[:500],
                    "source-topic": self.topic,
                    "source-offset": str(message.offset()),
                },
            )
            self.stats["dead_lettered"] += 1
            return
        self.sink.write(event_id, day, event)
        self.stats["written"] += 1

    def run(
        self, batch: int = 500, idle_polls: int | None = None, stop: Callable[[], bool] = lambda: False
    ) -> None:
        assigned = {"partitions": False}

        def on_assign(consumer: Any, partitions: list[Any]) -> None:
            assigned["partitions"] = assigned["partitions"] or bool(partitions)

        self.consumer.subscribe([self.topic], on_assign=on_assign)
        idle = unassigned = 0
        try:
            while not stop() and (idle_polls is None or idle < idle_polls):
                messages = self.consumer.consume(batch, timeout=1.0)
                if not messages:
                    # Empty polls count only once the group has given us partitions: before that
                    # (a broker still loading its group coordinator) nothing could have arrived.
                    idle += assigned["partitions"]
                    unassigned += not assigned["partitions"]
                    if unassigned > ASSIGNMENT_POLLS:
                        raise KafkaException(f"no partition of {self.topic} assigned in {unassigned} polls")
                    continue
                idle = 0
                for message in messages:
                    if message.error():
                        raise KafkaException(message.error())
                    self.handle(message)
                if self.dead_letters.flush(30) != 0:
                    raise KafkaException("dead letters not acknowledged; not committing")
                self.consumer.commit(asynchronous=False)
        finally:
            self.consumer.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="consumer")
    parser.add_argument("subject")
    parser.add_argument("--idle-polls", type=int, default=None, help="exit after this many empty polls")
    args = parser.parse_args(argv)
    known = subjects()
    if args.subject not in known:
        print(f"consumer: unknown subject {args.subject}: choose one of {', '.join(known)}", file=sys.stderr)
        return 2
    settings = load()
    subject = known[args.subject]
    pipeline = Pipeline(settings, subject, S3EventSink(settings, subject.name.removesuffix("-value")))
    stopping = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stopping.update(now=True))
    pipeline.run(idle_polls=args.idle_polls, stop=lambda: stopping["now"])
    print(f"consumer {subject.name}: {pipeline.stats}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
