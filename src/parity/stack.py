"""Edge: start the real local components from .devenv/ on loopback (Kafka broker, LocalStack).

Each starter returns a `Service` once the component answers, or raises `StackError` with the
tail of its log. Ports are chosen free on 127.0.0.1; nothing listens beyond loopback.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity.errors import ParityError


class StackError(ParityError):
    """A local component did not start."""


@dataclass
class Service:
    name: str
    address: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(service: Service, ready: Callable[[], bool], timeout: float) -> Service:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            break
        if ready():
            return service
        time.sleep(0.2)
    service.stop()
    tail = "\n".join(service.log.read_text(errors="replace").splitlines()[-20:])
    raise StackError(
        service.name,
        f"did not answer on {service.address} within {timeout:.0f}s",
        f"See {service.log}:\n{tail}",
    )


def _port_open(port: int) -> Callable[[], bool]:
    def check() -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex(("127.0.0.1", port)) == 0

    return check


def _java(devenv: Path, jars: str, main: str, *args: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            ["java", "-Xmx512m", "-cp", str(devenv / "jars" / jars / "*"), main, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def kafka_properties(
    workdir: Path, port: int, controller_port: int, host: str = "127.0.0.1", auto_create: bool = True
) -> str:
    """A single-node KRaft broker and controller: the broker on host:port (where clients reach it),
    the controller on loopback. `parity up` puts the broker on the node IP and creates its topics."""
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
            f"listeners=PLAINTEXT://{host}:{port},CONTROLLER://127.0.0.1:{controller_port}",
            f"advertised.listeners=PLAINTEXT://{host}:{port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            f"log.dirs={workdir / 'data'}",
            # One node: internal topics cannot have more replicas than brokers.
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            f"auto.create.topics.enable={'true' if auto_create else 'false'}",
            "num.partitions=3",
            "",
        ]
    )


def cluster_id(random: Callable[[], bytes] = lambda: uuid.uuid4().bytes) -> str:
    """A KRaft cluster id as Kafka's own `Uuid.randomUuid()` makes one: 16 random bytes in URL-safe
    base64, never starting with '-'. One in 64 random ids does start with '-', and the storage
    tool's argument parser then reads `-t -xyz...` as an unknown option and the format fails:
    that, not the machine's load, was the broker's intermittent "storage format failed"."""
    while True:
        text = base64.urlsafe_b64encode(random()).decode().rstrip("=")
        if not text.startswith("-") and text != "AAAAAAAAAAAAAAAAAAAAAA":
            return text


def start_kafka(devenv: Path, workdir: Path, timeout: float = 90) -> Service:
    """Format a single-node KRaft log dir and start the locked Kafka broker."""
    workdir.mkdir(parents=True, exist_ok=True)
    port, controller_port = free_port(), free_port()
    config = workdir / "server.properties"
    config.write_text(kafka_properties(workdir, port, controller_port))
    log = workdir / "kafka.log"
    fmt = _java(
        devenv, "kafka", "kafka.tools.StorageTool", "format", "-t", cluster_id(), "-c", str(config), log=log
    )
    if fmt.wait(timeout=120) != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-5:])
        raise StackError("kafka", "storage format failed", f"See {log}:\n{tail}")
    process = _java(devenv, "kafka", "kafka.Kafka", str(config), log=log)
    service = Service("kafka", f"127.0.0.1:{port}", process, log)
    return _wait(service, _port_open(port), timeout)


def localstack_command(
    devenv: Path, workdir: Path, port: int, services: str = "s3,secretsmanager"
) -> tuple[list[str], dict[str, str]]:
    """LocalStack in host mode (no Docker) from its Python 3.13 venv: command and environment."""
    env = {
        **os.environ,
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "SERVICES": services,
        "OVERRIDE_IN_DOCKER": "0",
        "FILESYSTEM_ROOT": str(workdir / "state"),
        "LOCALSTACK_CLI": "0",
        # Hermetic: nothing beyond loopback. No analytics events, no download of its TLS test
        # certificate from api.localstack.cloud, no DNS server (which would look for an upstream
        # resolver), no infrastructure downloads.
        "DISABLE_EVENTS": "1",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "DNS_ADDRESS": "0",
        "SKIP_INFRA_DOWNLOADS": "1",
    }
    return [str(devenv / "venvs" / "localstack" / "bin" / "python"), "-m", "localstack.runtime.main"], env


def start_localstack(
    devenv: Path, workdir: Path, services: str = "s3,secretsmanager", timeout: float = 60
) -> Service:
    """Start LocalStack on loopback; ready once its health endpoint answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = workdir / "localstack.log"
    command, env = localstack_command(devenv, workdir, port, services)
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"{url}/_localstack/health", timeout=1) as response:  # noqa: S310
                return bool(response.status == 200)
        except OSError:
            return False

    return _wait(Service("localstack", url, process, log), healthy, timeout)


def fakesnow_command(devenv: Path, workdir: Path, port: int) -> list[str]:
    fakesnow = devenv / "venvs" / "tool" / "bin" / "fakesnow"
    return [str(fakesnow), "-s", "--host", "127.0.0.1", "-p", str(port), "-d", str(workdir / "db")]


def start_fakesnow(devenv: Path, workdir: Path, timeout: float = 60) -> Service:
    """Start the fakesnow server (Snowflake's HTTP wire protocol over DuckDB) on loopback."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = workdir / "fakesnow.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            fakesnow_command(devenv, workdir, port),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return _wait(Service("fakesnow", f"127.0.0.1:{port}", process, log), _port_open(port), timeout)


def fakesnow_connection(host: str, port: int) -> Any:
    """A Snowflake connector session with a fakesnow server (plain HTTP, any credentials)."""
    import snowflake.connector

    return snowflake.connector.connect(
        account="local",
        user="parity",
        # parity: allow secret -- fakesnow ignores credentials; this placeholder is no secret
        password="unused",  # noqa: S106
        host=host,
        port=port,
        protocol="http",
    )


def stand_in_env(kafka: str, s3: str | None = None) -> dict[str, str]:
    """A workload's settings pointed at the local broker (PLAINTEXT, no SASL) and, if given,
    LocalStack's S3 with its documented dummy credentials."""
    env = {
        "FINSIGHT_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "FINSIGHT_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
        "FINSIGHT_KAFKA_SASL_MECHANISM": "NONE",
    }
    if s3 is not None:
        dummy = "test"  # LocalStack's documented dummy credentials: any value is accepted
        env.update(FINSIGHT_S3_ENDPOINT_URL=s3, AWS_ACCESS_KEY_ID=dummy, AWS_SECRET_ACCESS_KEY=dummy)
    return env
