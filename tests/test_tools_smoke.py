"""Each locked tool runs from .devenv/: the binaries answer, the broker and LocalStack start on
loopback and serve real requests."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import snowflake.connector
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from parity.stack import Service, start_fakesnow, start_kafka, start_localstack

pytestmark = pytest.mark.integration

BINARIES = [
    ("kustomize", ["version"], "v5.8.1"),
    ("kubeconform", ["-v"], "v0.7.0"),
    ("tilt", ["version"], "v0.34.0"),
    ("kube-apiserver", ["--version"], "Kubernetes v1.34.4"),
    ("etcd", ["--version"], "etcd Version: 3.6.16"),
]


@pytest.mark.parametrize(("name", "args", "expected"), BINARIES, ids=[b[0] for b in BINARIES])
def test_binary_runs_from_devenv(devenv: Path, name: str, args: list[str], expected: str) -> None:
    done = subprocess.run([devenv / "bin" / name, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout + done.stderr


@pytest.fixture
def kafka(devenv: Path, tmp_path: Path) -> Iterator[Service]:
    service = start_kafka(devenv, tmp_path / "kafka")
    yield service
    service.stop()


@pytest.fixture
def localstack(devenv: Path, tmp_path: Path) -> Iterator[Service]:
    service = start_localstack(devenv, tmp_path / "localstack")
    yield service
    service.stop()


def test_kafka_broker_round_trips_a_message(kafka: Service) -> None:
    topic = f"smoke-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": kafka.address})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(timeout=30)
    producer = Producer({"bootstrap.servers": kafka.address})
    producer.produce(topic, key=b"k", value=b"hello from parity")
    assert producer.flush(30) == 0
    consumer = Consumer(
        {"bootstrap.servers": kafka.address, "group.id": "smoke", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topic])
    try:
        message = None
        for _ in range(60):
            message = consumer.poll(1.0)
            if message is not None and not message.error():
                break
        assert message is not None and message.value() == b"hello from parity"
    finally:
        consumer.close()


def test_localstack_serves_s3_object_lock_and_secrets(localstack: Service) -> None:
    options = {
        "endpoint_url": localstack.address,
        "region_name": "us-east-1",
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
    }
    s3 = boto3.client("s3", **options)
    s3.create_bucket(Bucket="ledger", ObjectLockEnabledForBucket=True)
    s3.put_object(Bucket="ledger", Key="entry-1", Body=b"{}", IfNoneMatch="*")
    with pytest.raises(s3.exceptions.ClientError, match="PreconditionFailed"):
        s3.put_object(Bucket="ledger", Key="entry-1", Body=b"{}", IfNoneMatch="*")
    assert s3.get_object(Bucket="ledger", Key="entry-1")["Body"].read() == b"{}"
    secrets = boto3.client("secretsmanager", **options)
    secrets.create_secret(Name="dev/snowflake", SecretString="not-a-real-password")
    assert secrets.get_secret_value(SecretId="dev/snowflake")["SecretString"] == "not-a-real-password"


def test_fakesnow_server_answers_the_snowflake_wire_protocol(devenv: Path, tmp_path: Path) -> None:
    service = start_fakesnow(devenv, tmp_path / "fakesnow")
    host, port = service.address.split(":")
    try:
        connection = snowflake.connector.connect(
            account="local",
            user="parity",
            password="unused",
            host=host,
            port=int(port),
            protocol="http",
            database="SMOKE",
            schema="PUBLIC",
            session_parameters={},
        )
        cursor = connection.cursor()
        cursor.execute("create database if not exists SMOKE")
        cursor.execute("create schema if not exists SMOKE.PUBLIC")
        cursor.execute("create table SMOKE.PUBLIC.t (id int, name varchar)")
        cursor.execute("insert into SMOKE.PUBLIC.t values (1, 'a'), (2, 'b')")
        cursor.execute("select count(*), max(name) from SMOKE.PUBLIC.t")
        assert cursor.fetchone() == (2, "b")
        connection.close()
    finally:
        service.stop()
