"""The consumer loop shared by every consumer Deployment: `python -m consumers.consumer SUBJECT`.

At-least-once into a batched, idempotent sink (consumers.sink): a partition's offsets are
committed only after its batch reached S3, and a restarted consumer resumes after any object a
crash left uncommitted, so every offset lands exactly once. Messages that do not decode or
validate go to the dead-letter topic with the reason in a header, and are committed too, so one
poison message never blocks a partition.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_INVALID, Consumer, KafkaException, Message, Producer, TopicPartition
from platform_settings import PlatformSettings, load

from consumers.schemas import SCHEMAS, InvalidEvent, Subject, subjects
from consumers.sink import BatchSink, Limits, describe

ASSIGNMENT_POLLS = 120  # one-second polls to wait for the group to assign partitions
POLL_SECONDS = 0.25


class Pipeline:
    def __init__(self, settings: PlatformSettings, subject: Subject, limits: Limits) -> None:
        self.settings = settings
        self.subject = subject
        self.topic = str(getattr(settings, subject.topic_setting))
        self.sink = BatchSink(settings, subject.name.removesuffix("-value"), self.topic, limits)
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
        self.assigned = False
        self.resumed: list[TopicPartition] = []
        self.unflushed_letters = False

    def handle(self, message: Message) -> None:
        payload = message.value() or b""
        partition, offset = message.partition(), message.offset()
        stamp = message.timestamp()[1]
        try:
            event = self.subject.decode(payload)
        except InvalidEvent as exc:
            self.dead_letters.produce(
                self.settings.dead_letter_topic,
                value=payload,
                key=message.key(),
                headers={"error": str(exc)[:500], "source-topic": self.topic, "source-offset": str(offset)},
            )
            self.unflushed_letters = True
            self.stats["dead_lettered"] += 1
            self.sink.add(partition, offset, None, stamp)
            return
        self.sink.add(partition, offset, self.subject.line(payload, event), stamp)
        self.stats["written"] += 1

    def flush(self, partitions: list[int]) -> None:
        if not partitions:
            return
        if self.unflushed_letters:
            if self.dead_letters.flush(30) != 0:
                raise KafkaException("dead letters not acknowledged; not committing")
            self.unflushed_letters = False
        offsets = [TopicPartition(self.topic, p, self.sink.flush(p)) for p in partitions]
        self.consumer.commit(offsets=offsets, asynchronous=False)

    def on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Start each partition after what a crashed predecessor wrote but did not commit."""
        self.assigned = self.assigned or bool(partitions)
        for tp in consumer.committed(partitions, timeout=30):
            start = tp.offset if tp.offset >= 0 else consumer.get_watermark_offsets(tp, timeout=30)[0]
            position = self.sink.resume(tp.partition, start)
            if position != start:
                self.resumed.append(TopicPartition(self.topic, tp.partition, position))
        moved = {tp.partition: tp.offset for tp in self.resumed}
        for tp in partitions:  # OFFSET_INVALID: start at the committed offset
            tp.offset = moved.get(tp.partition, OFFSET_INVALID)
        consumer.assign(partitions)

    def on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self.sink.drop(tp.partition)

    def run(self, idle_polls: int | None = None, stop: Callable[[], bool] = lambda: False) -> None:
        self.consumer.subscribe([self.topic], on_assign=self.on_assign, on_revoke=self.on_revoke)
        idle = unassigned = 0
        clean = False
        try:
            while not stop() and (idle_polls is None or idle < idle_polls):
                messages = self.consumer.consume(self.sink.limits.max_events, timeout=POLL_SECONDS)
                if self.resumed:
                    self.consumer.commit(offsets=self.resumed, asynchronous=False)
                    self.resumed = []
                for message in messages:
                    if message.error():
                        raise KafkaException(message.error())
                    self.handle(message)
                self.flush(self.sink.due(time.monotonic()))
                if messages:
                    idle = 0
                    continue
                # Empty polls count only once the group has given us partitions: before that
                # (a broker still loading its group coordinator) nothing could have arrived.
                idle += self.assigned
                unassigned += not self.assigned
                if unassigned * POLL_SECONDS > ASSIGNMENT_POLLS:
                    raise KafkaException(f"no partition of {self.topic} assigned in {ASSIGNMENT_POLLS} s")
            clean = True
        finally:
            if clean:  # a stop or the idle limit: what is buffered goes out before the group is left
                self.flush(self.sink.pending())
            self.consumer.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="consumer")
    parser.add_argument("subject")
    parser.add_argument("--idle-polls", type=int, default=None, help="exit after this many empty polls")
    parser.add_argument("--schemas", type=Path, default=SCHEMAS, help="a subjects.yaml directory")
    defaults = Limits()
    parser.add_argument("--max-events", type=int, default=defaults.max_events, help="events per sink object")
    parser.add_argument("--max-bytes", type=int, default=defaults.max_bytes, help="bytes per sink object")
    parser.add_argument("--max-seconds", type=float, default=defaults.max_seconds, help="oldest event's wait")
    args = parser.parse_args(argv)
    known = subjects(args.schemas)
    if args.subject not in known:
        print(f"consumer: unknown subject {args.subject}: choose one of {', '.join(known)}", file=sys.stderr)
        return 2
    limits = Limits(args.max_events, args.max_bytes, args.max_seconds)
    pipeline = Pipeline(load(), known[args.subject], limits)
    stopping = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stopping.update(now=True))
    started = time.monotonic()
    pipeline.run(idle_polls=args.idle_polls, stop=lambda: stopping["now"])
    stats: dict[str, Any] = {**pipeline.stats, **describe(pipeline.sink)}
    stats["seconds"] = round(time.monotonic() - started, 3)
    print(f"consumer {args.subject}: {stats}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
