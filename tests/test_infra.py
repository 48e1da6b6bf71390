"""`parity infra plan|apply ENV` for Kafka topics, against the real broker (single-node KRaft):
apply creates exactly what dev declares, a second apply changes nothing, drift made by hand
through the Admin API is reported by plan and fixed by apply, and what cannot be fixed in place
(fewer partitions than live) stays reported."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    ResourceType,
)

from parity import cli
from parity.infra import topics
from parity.rendering import read_values
from parity.stack import Service, start_kafka
from tests.conftest import DEVENV, ROOT

pytestmark = pytest.mark.integration
DEV = {
    "finsight.dev.events.v1": (6, 259200000),
    "finsight.dev.payments.v1": (3, None),
    "finsight.dev.ledger.v1": (3, None),
    "finsight.dev.dead-letters.v1": (1, None),
}


@pytest.fixture(scope="module")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    service = start_kafka(DEVENV, tmp_path_factory.mktemp("kafka"))
    yield service
    service.stop()


def _infra(
    capsys: pytest.CaptureFixture[str], action: str, kafka: Service, env: str = "dev"
) -> tuple[int, Any]:
    argv = [
        "infra",
        action,
        env,
        "--only",
        "topics",
        "--bootstrap-servers",
        kafka.address,
        "--format",
        "json",
    ]
    code = cli.main(argv)
    return code, json.loads(capsys.readouterr().out)["topics"]


def test_apply_creates_what_is_declared_then_changes_nothing_and_fixes_drift(
    kafka: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    declared = topics.declared(read_values(ROOT, "dev"), "overlays/dev/values.yaml")
    assert set(declared) == set(DEV)
    code, first = _infra(capsys, "plan", kafka)
    assert code == 1 and sorted(first["drift"]) == sorted(f"{t}: missing (apply creates it)" for t in DEV)
    assert len(first["notes"]) == 4 and all(
        "capped at 1/1 (the cluster has 1 broker(s))" in n for n in first["notes"]
    )

    code, applied = _infra(capsys, "apply", kafka)
    assert code == 0 and len(applied["applied"]) == 4 and applied["drift"] == []
    client = AdminClient({"bootstrap.servers": kafka.address})
    live, brokers = topics.live(client, list(declared))
    assert brokers == 1 and set(live) == set(DEV)
    for name, spec in declared.items():  # exactly the declaration, replication capped at 1 broker
        assert live[name].partitions == spec.partitions == DEV[name][0]
        assert (live[name].retentionMs, live[name].cleanupPolicy) == (spec.retentionMs, spec.cleanupPolicy)
        assert (live[name].replicationFactor, live[name].minInsyncReplicas) == (1, 1)
    assert live["finsight.dev.events.v1"].retentionMs == DEV["finsight.dev.events.v1"][1]

    code, again = _infra(capsys, "apply", kafka)
    assert code == 0 and again["applied"] == [] and again["drift"] == []

    # Drift by hand: events' retention shortened, payments given more partitions than declared.
    events = ConfigResource(
        ResourceType.TOPIC,
        "finsight.dev.events.v1",
        incremental_configs=[
            ConfigEntry("retention.ms", "1000", incremental_operation=AlterConfigOpType.SET)
        ],
    )
    for future in client.incremental_alter_configs([events]).values():
        future.result(30)
    for future in client.create_partitions([NewPartitions("finsight.dev.payments.v1", 5)]).values():
        future.result(30)
    code, drifted = _infra(capsys, "plan", kafka)
    assert code == 1
    assert drifted["drift"] == [
        "finsight.dev.events.v1: retention.ms is 1000, declared 259200000 (apply will alter)",
        "finsight.dev.payments.v1: partitions is 5, declared 3 (apply cannot change this in place)",
    ]
    code, fixed = _infra(capsys, "apply", kafka)
    assert code == 1 and fixed["applied"] == [drifted["drift"][0]]
    assert fixed["drift"] == [drifted["drift"][1]]
    assert (
        topics.live(client, ["finsight.dev.events.v1"])[0]["finsight.dev.events.v1"].retentionMs == 259200000
    )


def test_bad_input_is_one_line_and_exit_2(
    kafka: Service, capsys: pytest.CaptureFixture[str], repo_copy: Path
) -> None:
    assert cli.main(["infra", "plan", "qa", "--bootstrap-servers", kafka.address]) == 2
    assert "qa: unknown environment" in capsys.readouterr().err
    assert cli.main(["infra", "plan", "prod"]) == 2  # MSK IAM: no PLAINTEXT listener to use
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "SASL_SSL" in err[0] and "--bootstrap-servers" in err[0]
    values = repo_copy / "overlays/dev/values.yaml"
    values.write_text(values.read_text().replace("retentionMs: 259200000", "retentionMs: three days", 1))
    code = cli.main(["infra", "plan", "dev", "--repo", str(repo_copy), "--bootstrap-servers", kafka.address])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "overlays/dev/values.yaml" in err[0] and "spec.topicConfig.events.retentionMs" in err[0]
