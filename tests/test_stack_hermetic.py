"""Local components start with no connection attempt beyond loopback. Each one runs in a network
namespace of its own that holds only `lo` (so nothing could leave even by mistake), under strace,
which records every connect/sendto/sendmsg it attempts; any address outside 127.0.0.0/8 and ::1
fails the test."""

from __future__ import annotations

import base64
import ipaddress
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from parity.stack import cluster_id, fakesnow_command, kafka_properties, localstack_command, start_kafka
from tests.conftest import DEVENV

pytestmark = pytest.mark.integration
ADDRESS = re.compile(r'inet_(?:addr|pton)\((?:AF_INET6?, )?"([^"]+)"')


@pytest.fixture
def namespace() -> Iterator[str]:
    name = f"parity-hermetic-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)
    yield name
    subprocess.run(["ip", "netns", "delete", name], check=False)


def port_open_inside(namespace: str, port: int) -> bool:
    probe = "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)"
    done = subprocess.run(
        ["ip", "netns", "exec", namespace, "python3", "-c", probe, str(port)], capture_output=True
    )
    return done.returncode == 0


def traced_start(
    namespace: str, command: list[str], env: dict[str, str], trace: Path, port: int, log: Path, seconds: float
) -> list[str]:
    """Start `command` traced in the namespace, wait until it listens on `port`, let it settle a few
    seconds (background threads: update checks, analytics, DNS), stop it; the addresses it tried."""
    wrapped = ["ip", "netns", "exec", namespace, "strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*wrapped, "-o", str(trace), *command], stdout=out, stderr=out, env=env, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 120
        while not port_open_inside(namespace, port):
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        time.sleep(seconds)
    finally:  # the whole group: stopping strace alone would leave the traced process running
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        deadline = time.monotonic() + 30
        while subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True).returncode == 0:
            assert time.monotonic() < deadline, "the component outlived its process group's SIGTERM"
            time.sleep(0.2)
    return ADDRESS.findall(trace.read_text())


def loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1, as Java connects
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


def outside_loopback(addresses: list[str]) -> list[str]:
    return sorted({a for a in addresses if not loopback(a)})


def test_localstack_starts_without_reaching_beyond_loopback(namespace: str, tmp_path: Path) -> None:
    port = 4566
    command, env = localstack_command(DEVENV, tmp_path, port)
    tried = traced_start(namespace, command, env, tmp_path / "trace", port, tmp_path / "localstack.log", 8)
    log = (tmp_path / "localstack.log").read_text()
    assert outside_loopback(tried) == [], log[-2000:]
    assert "api.localstack.cloud" not in log and "Unable to download" not in log
    assert tried, "strace recorded no connection at all: the trace is not working"


def test_fakesnow_starts_without_reaching_beyond_loopback(namespace: str, tmp_path: Path) -> None:
    port = 18080
    tried = traced_start(
        namespace,
        fakesnow_command(DEVENV, tmp_path, port),
        dict(os.environ),
        tmp_path / "trace",
        port,
        tmp_path / "fakesnow.log",
        3,
    )
    assert outside_loopback(tried) == []


def test_kafka_starts_without_reaching_beyond_loopback(namespace: str, tmp_path: Path) -> None:
    port, controller = 19092, 19093
    config = tmp_path / "server.properties"
    config.write_text(kafka_properties(tmp_path, port, controller))
    java = ["java", "-Xmx512m", "-cp", str(DEVENV / "jars" / "kafka" / "*")]
    subprocess.run(
        [*java, "kafka.tools.StorageTool", "format", "-t", cluster_id(), "-c", str(config)],
        check=True,
        capture_output=True,
    )
    tried = traced_start(
        namespace,
        [*java, "kafka.Kafka", str(config)],
        dict(os.environ),
        tmp_path / "trace",
        port,
        tmp_path / "kafka.log",
        3,
    )
    assert outside_loopback(tried) == []


def test_a_cluster_id_never_starts_with_a_dash() -> None:
    dash_first = base64.urlsafe_b64decode("-" + "A" * 21 + "==")
    draws = iter([dash_first, bytes(16), b"\x01" * 16])
    assert base64.urlsafe_b64encode(dash_first).decode().startswith("-")
    assert cluster_id(lambda: next(draws)) == base64.urlsafe_b64encode(b"\x01" * 16).decode().rstrip("=")


def test_kafka_storage_tool_rejects_an_id_starting_with_a_dash(tmp_path: Path) -> None:
    """The cause of the broker's intermittent 'storage format failed': 1 random id in 64."""
    config = tmp_path / "server.properties"
    config.write_text(kafka_properties(tmp_path, 19192, 19193))
    java = [
        "java",
        "-Xmx256m",
        "-cp",
        str(DEVENV / "jars" / "kafka" / "*"),
        "kafka.tools.StorageTool",
        "format",
    ]
    dashed = "-" + base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")[1:]
    assert subprocess.run([*java, "-t", dashed, "-c", str(config)], capture_output=True).returncode != 0
    assert subprocess.run([*java, "-t", cluster_id(), "-c", str(config)], capture_output=True).returncode == 0


def test_the_broker_starts_while_both_cores_are_held(tmp_path: Path, busy_cores: int) -> None:
    service = start_kafka(DEVENV, tmp_path / "kafka")
    try:
        assert service.process.poll() is None
    finally:
        service.stop()
