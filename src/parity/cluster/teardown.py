"""Edge: what `down` needs beyond stopping processes: pods deleted while the kubelet runs, any
container left killed, its shims, mounts and network namespaces removed."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from parity.cluster import host, processes
from parity.cluster.context import Stack, write


def sweep_containers(s: Stack) -> None:
    """Kill any container task left, so no shim, mount or netns remains."""
    address = str(s.layout.containerd_socket)
    if not processes.probe(f"unix:{address}"):
        return
    ctr = ["ctr", "--address", address, "-n", "k8s.io"]
    listing = subprocess.run([*ctr, "tasks", "ls", "-q"], capture_output=True, text=True, check=False).stdout
    for task in listing.split():
        subprocess.run([*ctr, "tasks", "kill", "-s", "SIGKILL", task], capture_output=True, check=False)
    for task in listing.split():
        for _ in range(50):
            if (
                subprocess.run([*ctr, "tasks", "rm", "-f", task], capture_output=True, check=False).returncode
                == 0
            ):
                break
            time.sleep(0.1)
    containers = subprocess.run([*ctr, "containers", "ls", "-q"], capture_output=True, text=True, check=False)
    for container in containers.stdout.split():
        subprocess.run([*ctr, "containers", "rm", container], capture_output=True, check=False)


def delete_pods(s: Stack, seconds: float = 30) -> None:
    """With the controllers stopped, delete every pod so the kubelet tears each down properly."""
    if not processes.running_pid(s.layout, "kubelet") or not processes.running_pid(
        s.layout, "kube-apiserver"
    ):
        return
    s.kube.run("delete", "pods", "--all", "-A", "--grace-period=1", "--wait=false", check=False)
    deadline = time.monotonic() + seconds
    ctr = ["ctr", "--address", str(s.layout.containerd_socket), "-n", "k8s.io", "tasks", "ls", "-q"]
    while time.monotonic() < deadline:
        if not subprocess.run(ctr, capture_output=True, text=True, check=False).stdout.split():
            return
        time.sleep(0.5)


def kill_leftover_shims(s: Stack) -> None:
    marker = str(s.layout.containerd_socket)
    for pid in pids_whose_cmdline_has(marker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)


def pids_whose_cmdline_has(marker: str) -> Iterator[int]:
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != me:
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline:
                yield int(entry.name)


def remove_netns(s: Stack) -> int:
    """The sandboxes' network namespaces containerd made (/run/netns/cni-*), if any is left."""
    removed = 0
    run = Path("/run/netns")
    if run.is_dir():
        for ns in run.glob("cni-*"):
            subprocess.run(["umount", str(ns)], capture_output=True, check=False)
            try:
                ns.unlink(missing_ok=True)
            except OSError:
                # Mounted beneath containerd's own /run/netns mount (made while this one was
                # already there): reachable once that mount is gone, so `down` comes back to it.
                continue
            removed += 1
    return removed


def shims_rss(s: Stack) -> float:
    """Memory of the pods: every containerd shim of this stack and the containers under it."""
    return sum(
        processes.rss_mib(pid) for pid in pids_whose_cmdline_has(f"-address {s.layout.containerd_socket}")
    )


NETNS = Path("/run/netns")


def is_mount_point(path: Path) -> bool:
    return str(path.resolve()) in host.mounts_under(path)


def record_netns_mount(s: Stack) -> None:
    """containerd makes /run/netns a mount point (as `ip netns` does) when it creates the first
    sandbox's namespace: note whether it was one before, so `down` removes only its own."""
    marker = s.layout.state / "netns-mount.json"
    if not marker.exists():
        write(marker, json.dumps({"mounted_before": is_mount_point(NETNS)}))


def restore_netns_mount(s: Stack) -> int:
    marker = s.layout.state / "netns-mount.json"
    try:
        before = json.loads(marker.read_text())["mounted_before"]
    except (OSError, ValueError, KeyError):
        return 0
    marker.unlink()
    # Sandbox namespaces still there (cni-*) are ours, mounted beneath it: the caller removes them next.
    if before or not is_mount_point(NETNS) or any(not e.name.startswith("cni-") for e in NETNS.iterdir()):
        return 0
    subprocess.run(["umount", str(NETNS)], capture_output=True, check=False)
    return 1
