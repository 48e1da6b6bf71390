"""Kafka topics as declared (`spec.topics` names, `spec.topicConfig` settings in an environment's
values.yaml) against the broker's live state, read through the Admin API every time: the plan is
what differs, and apply changes exactly that.

What the Admin API cannot change in place is reported and left alone: a topic's partitions can
only grow (fewer would reorder keys), and a replication factor change is a reassignment to plan
with the brokers' operators. A broker with fewer brokers than declared (the local single-node
stand-in) gets the replication factor and min.insync.replicas capped at its broker count; the
plan says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from parity.errors import BadInput
from parity.infra import Drift
from parity.validate.topics import KAFKA_NAMES, TopicSpec, parse

CONFIGS = ("retentionMs", "cleanupPolicy", "minInsyncReplicas")  # alterable in place
TIMEOUT = 30


def declared(values: Mapping[str, Any], source: str) -> dict[str, TopicSpec]:
    """Physical topic name -> declared spec, from one environment's parsed values."""
    names, specs = values.get("topics") or {}, parse(dict(values), source)
    unnamed = sorted(set(specs) - set(names))
    if unnamed:
        raise BadInput(source, f"spec.topicConfig.{unnamed[0]} has no spec.topics entry", "Name the topic")
    return {str(names[logical]): spec for logical, spec in specs.items()}


def capped(wanted: dict[str, TopicSpec], brokers: int) -> tuple[dict[str, TopicSpec], list[str]]:
    """The specs a cluster of `brokers` can hold, and a note per capped topic."""
    out, notes = {}, []
    for topic, spec in wanted.items():
        factor = min(spec.replicationFactor, brokers)
        isr = min(spec.minInsyncReplicas, factor)
        if factor != spec.replicationFactor:
            notes.append(
                f"{topic}: replication.factor {spec.replicationFactor} and min.insync.replicas "
                f"{spec.minInsyncReplicas} capped at {factor}/{isr} (the cluster has {brokers} broker(s))"
            )
        out[topic] = TopicSpec(spec.partitions, factor, spec.retentionMs, spec.cleanupPolicy, isr)
    return out, notes


def plan(wanted: dict[str, TopicSpec], live: dict[str, TopicSpec]) -> list[Drift]:
    """Every difference between the declared topics and the live ones (pure)."""
    out = []
    for topic, spec in sorted(wanted.items()):
        if topic not in live:
            out.append(Drift(topic, "", spec, None, "create"))
            continue
        want, have = asdict(spec), asdict(live[topic])
        for field in KAFKA_NAMES:
            if want[field] == have[field]:
                continue
            if field in CONFIGS:
                fix = "alter"
            elif field == "partitions" and want[field] > have[field]:
                fix = "add partitions"
            else:
                fix = ""
            out.append(Drift(topic, KAFKA_NAMES[field], want[field], have[field], fix))
    return out


def _wait(futures: Mapping[Any, Any], what: str) -> dict[Any, Any]:
    from confluent_kafka import KafkaException

    out = {}
    for key, future in futures.items():
        try:
            out[key] = future.result(TIMEOUT)
        except KafkaException as exc:
            raise BadInput(
                f"topic {key}", f"the broker refused to {what}: {exc}", "Check the broker"
            ) from None
    return out


def admin(bootstrap: str) -> Any:
    from confluent_kafka.admin import AdminClient

    client = AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 10_000})
    try:
        client.list_topics(timeout=TIMEOUT)
    except Exception as exc:  # the client raises KafkaException, or cimpl errors on a dead address
        raise BadInput(
            bootstrap, f"no Kafka broker answers: {exc}", "Start it or pass --bootstrap-servers"
        ) from None
    return client


def live(client: Any, names: list[str]) -> tuple[dict[str, TopicSpec], int]:
    """The live spec of each of `names` that exists, and the cluster's broker count."""
    from confluent_kafka.admin import ConfigResource, ResourceType  # type: ignore[attr-defined]

    metadata = client.list_topics(timeout=TIMEOUT)
    present = [name for name in names if name in metadata.topics]
    asked = (
        client.describe_configs([ConfigResource(ResourceType.TOPIC, name) for name in present])
        if present
        else {}
    )
    configs = _wait({r.name: future for r, future in asked.items()}, "describe its configuration")
    out = {}
    for name in present:
        partitions = metadata.topics[name].partitions
        config = {key: entry.value for key, entry in configs[name].items()}
        out[name] = TopicSpec(
            partitions=len(partitions),
            replicationFactor=min(len(p.replicas) for p in partitions.values()),
            retentionMs=int(config["retention.ms"]),
            cleanupPolicy=str(config["cleanup.policy"]),
            minInsyncReplicas=int(config["min.insync.replicas"]),
        )
    return out, len(metadata.brokers)


def apply(client: Any, wanted: dict[str, TopicSpec], drifts: list[Drift]) -> list[Drift]:
    """Apply what can be applied; returns the drifts it fixed."""
    from confluent_kafka import admin as kafka_admin

    AlterConfigOpType, ConfigEntry = kafka_admin.AlterConfigOpType, kafka_admin.ConfigEntry  # type: ignore[attr-defined]
    ConfigResource, ResourceType = kafka_admin.ConfigResource, kafka_admin.ResourceType  # type: ignore[attr-defined]
    NewPartitions, NewTopic = kafka_admin.NewPartitions, kafka_admin.NewTopic  # type: ignore[attr-defined]

    create = [d.subject for d in drifts if d.fix == "create"]
    grow = {d.subject: d.declared for d in drifts if d.fix == "add partitions"}
    alter = sorted({d.subject for d in drifts if d.fix == "alter"} | set(create))
    if create:
        topics = [NewTopic(t, wanted[t].partitions, wanted[t].replicationFactor) for t in create]
        _wait(client.create_topics(topics, operation_timeout=TIMEOUT), "create it")
    if grow:
        _wait(client.create_partitions([NewPartitions(t, n) for t, n in grow.items()]), "add partitions")
    for topic in alter:  # created topics get their configuration set the same way
        spec = asdict(wanted[topic])
        entries = [
            ConfigEntry(KAFKA_NAMES[f], str(spec[f]), incremental_operation=AlterConfigOpType.SET)
            for f in CONFIGS
        ]
        _wait(
            client.incremental_alter_configs(
                [ConfigResource(ResourceType.TOPIC, topic, incremental_configs=entries)]
            ),
            "alter its configuration",
        )
    return [d for d in drifts if d.fix]


def delete(client: Any, names: list[str]) -> list[str]:
    """Delete those of `names` that exist (an ephemeral environment's own); returns them."""
    present = [name for name in names if name in client.list_topics(timeout=TIMEOUT).topics]
    if present:
        _wait(client.delete_topics(present, operation_timeout=TIMEOUT), "delete it")
    return present
