"""Edge: the stack's processes, detached so they outlive `parity up`, each with a pid file and a log.

A pid file records the pid and the kernel's start time of that process, so a recycled pid is
never mistaken for ours (and never signalled).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from parity.cluster.plan import Component, Layout, Port
from parity.errors import ParityError


class StartFailed(ParityError):
    """A component did not start or did not become ready."""

    exit_code = 1


def _start_time(pid: int) -> str:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return ""
    return "" if fields[0] == "Z" else fields[19]  # a zombie has exited


def _pid_file(layout: Layout, name: str) -> Path:
    return layout.pids / f"{name}.json"


def running_pid(layout: Layout, name: str) -> int | None:
    """The pid of our running `name`, or None (no pid file, exited, or the pid was reused)."""
    try:
        record = json.loads(_pid_file(layout, name).read_text())
    except (OSError, ValueError):
        return None
    pid = int(record.get("pid", 0))
    return pid if pid > 0 and _start_time(pid) == record.get("start") else None


def port_free(port: Port) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((port.host, port.port))
        except OSError:
            return False
    if port.port == 53:  # DNS listens on UDP too
        with socket.socket(type=socket.SOCK_DGRAM) as udp:
            try:
                udp.bind((port.host, port.port))
            except OSError:
                return False
    return True


def holder(port: Port) -> str:
    """Which process listens on the port, as `ss` sees it (for the error line)."""
    done = subprocess.run(
        ["ss", "-Hltnup", f"sport = :{port.port}"], capture_output=True, text=True, check=False
    )
    for line in done.stdout.splitlines():
        if port.host in line or "0.0.0.0" in line or "*:" in line:  # noqa: S104 - reading ss, not binding
            found = line.split("users:((", 1)
            return found[1].split(",")[0].strip('"') if len(found) > 1 else "another process"
    return "another process"


def start(layout: Layout, component: Component) -> int:
    """Start `component` detached; returns its pid. The caller waits for readiness."""
    layout.logs.mkdir(parents=True, exist_ok=True)
    layout.pids.mkdir(parents=True, exist_ok=True)
    log = layout.logs / f"{component.name}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            list(component.argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **component.env},
            cwd=layout.state,
            start_new_session=True,
            user=component.user,
        )
    record = {"pid": process.pid, "start": _start_time(process.pid), "argv": list(component.argv)}
    path = _pid_file(layout, component.name)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(record))
    partial.replace(path)
    return process.pid


def stop(layout: Layout, name: str, seconds: float = 10.0) -> bool:
    """SIGTERM, then SIGKILL after `seconds`. True if it was running."""
    pid = running_pid(layout, name)
    if pid is None:
        _pid_file(layout, name).unlink(missing_ok=True)
        return False
    record = json.loads(_pid_file(layout, name).read_text())
    with contextlib.suppress(ProcessLookupError):  # started with its own session: its own group
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and _start_time(pid) == record["start"]:
        _reap(pid)
        time.sleep(0.1)
    if _start_time(pid) == record["start"]:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        while _start_time(pid) == record["start"]:
            _reap(pid)
            time.sleep(0.05)
    _pid_file(layout, name).unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def log_tail(layout: Layout, name: str, lines: int = 3) -> str:
    try:
        text = (layout.logs / f"{name}.log").read_text(errors="replace")
    except OSError:
        return ""
    return " | ".join(line.strip()[:200] for line in text.splitlines()[-lines:])


def probe(target: str, token: str = "") -> bool:
    """One readiness probe: `http(s)://...` answered 2xx, `unix:PATH` accepting, `tcp:HOST:PORT` open."""
    if target.startswith("unix:"):
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(1)
            return sock.connect_ex(target[5:]) == 0
    if target.startswith("tcp:"):
        host, port = target[4:].rsplit(":", 1)
        with socket.socket() as sock:
            sock.settimeout(1)
            return sock.connect_ex((host, int(port))) == 0
    request = urllib.request.Request(target, headers={"Authorization": f"Bearer {token}"} if token else {})  # noqa: S310 - our own components
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # health endpoints of components we just started on our addresses
    try:
        with urllib.request.urlopen(request, timeout=2, context=context) as response:  # noqa: S310 - ours
            return 200 <= int(response.status) < 300
    except (OSError, ValueError):
        return False


def wait_ready(
    layout: Layout, component: Component, pid: int, timeout: float, ready: Callable[[], bool]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _start_time(pid) == "":
            raise StartFailed(
                component.name,
                f"exited during start ({log_tail(layout, component.name)})",
                f"See {layout.logs / (component.name + '.log')}",
            )
        if ready():
            return
        time.sleep(0.2)
    raise StartFailed(
        component.name,
        f"not ready after {timeout:.0f}s ({log_tail(layout, component.name)})",
        f"See {layout.logs / (component.name + '.log')}",
    )


def rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB."""
    total = 0
    for child in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    out, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            out.append(child)
            queue.append(child)
    return out
