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
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_INVALID, Consumer, KafkaException, Message, Producer, TopicPartition
from platform_settings import PlatformSettings, load

from consumers.schemas import SCHEMAS, InvalidEvent, Subject, subjects
from consumers.sink import BatchSink, Limits, describe

ASSIGNMENT_POLLS = 120  # one-second polls to wait for the group to assign partitions
POLL_SECONDS = 0.25
IN_FLIGHT = 4  # batches queued for PUT before the loop waits for the oldest


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
        self.in_flight: deque[tuple[int, Future[int]]] = deque()

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
        if partitions and self.unflushed_letters:
            if self.dead_letters.flush(30) != 0:
                raise KafkaException("dead letters not acknowledged; not committing")
            self.unflushed_letters = False
        self.in_flight.extend((p, self.sink.submit(p)) for p in partitions)
        self.commit_written(wait=len(self.in_flight) - IN_FLIGHT)

    def commit_written(self, wait: int = 0) -> None:
        """Commit the batches whose PUT completed, oldest first, waiting for the `wait` oldest.
        A failed PUT raises here, before anything after it is committed."""
        offsets: dict[int, int] = {}
        while self.in_flight and (wait > 0 or self.in_flight[0][1].done()):
            partition, written = self.in_flight.popleft()
            offsets[partition] = written.result()
            wait -= 1
        if offsets:
            self.consumer.commit(
                offsets=[TopicPartition(self.topic, p, at) for p, at in offsets.items()], asynchronous=False
            )

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
        self.commit_written(wait=len(self.in_flight))  # what was written is committed while still ours
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
                self.commit_written(wait=len(self.in_flight))
            else:  # a failure: nothing more is committed, and close() must not wait on PUTs
                self.in_flight.clear()
            self.consumer.close()
            self.sink.uploader.shutdown(wait=clean)


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
