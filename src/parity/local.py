"""`parity up | down | status`: the local stack (a real single-node cluster, the stand-ins, the two
operators) running the `local` rendering with the locked images.

`up` is idempotent: what already runs (ours, by pid file) is kept, the rest starts in order, each
component ready before the next. If a step fails, what this `up` started is stopped again and the
error names the component and the fix. `down` stops what `up` started and undoes every change it
made to the machine (bridge, iptables chains, mounts, sysctls).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

from parity import kustomize
from parity.cluster import addons, bringup, contents, host, processes, seeding, teardown, warehouse
from parity.cluster import plan as p
from parity.cluster.context import ENV, Say, Stack, UpFailed, components, stack

__all__ = ["ENV", "Say", "down", "leftovers", "status", "up"]


def rendering(s: Stack) -> tuple[str, list[dict[str, Any]]]:
    text, documents = kustomize.build(s.root, ENV)
    return text, [d for d in documents if isinstance(d, dict)]


def wait_workloads(s: Stack, resources: list[dict[str, Any]], timeout: float = 600) -> None:
    """Every ExternalSecret synced and every Deployment Available, with a progress line."""
    deployments = sorted(r["metadata"]["name"] for r in resources if r["kind"] == "Deployment")
    externals = sorted(r["metadata"]["name"] for r in resources if r["kind"] == "ExternalSecret")
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    last = ""
    while True:
        ready_secrets = {
            e["metadata"]["name"]
            for e in s.kube.items("externalsecrets", p.NAMESPACE)
            if any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in e.get("status", {}).get("conditions", [])
            )
        }
        pods = s.kube.items("pods", p.NAMESPACE)
        available = {
            d["metadata"]["name"]
            for d in s.kube.items("deployments", p.NAMESPACE)
            if any(
                c["type"] == "Available" and c["status"] == "True"
                for c in d.get("status", {}).get("conditions", [])
            )
            and rolled_out(d)
            and ready_pods(d, pods) >= d["spec"].get("replicas", 1)
        }
        line = (
            f"waiting {time.monotonic() - started:4.0f}s: secrets {len(ready_secrets)}/{len(externals)}, "
            f"deployments {len(available & set(deployments))}/{len(deployments)}"
        )
        if line.split(":", 1)[1] != last:
            s.say(line)
            last = line.split(":", 1)[1]
        if set(externals) <= ready_secrets and set(deployments) <= available:
            return
        if time.monotonic() > deadline:
            pending = sorted(set(deployments) - available) + sorted(set(externals) - ready_secrets)
            raise UpFailed(
                "local rendering",
                f"not ready after {timeout:.0f}s: {', '.join(pending)}; {pod_problems(s)}",
                "See parity status and kubectl describe",
            )
        time.sleep(2)


def ready_pods(deployment: dict[str, Any], pods: list[dict[str, Any]]) -> int:
    """Pods of the Deployment that are Ready now: after a restart of the stack its status still
    says what it said before `down` until the controllers catch up, so the pods are counted."""
    selector = deployment["spec"]["selector"].get("matchLabels", {})
    return sum(
        1
        for pod in pods
        if not pod["metadata"].get("deletionTimestamp")
        and selector.items() <= pod["metadata"].get("labels", {}).items()
        and any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in pod.get("status", {}).get("conditions", [])
        )
    )


def rolled_out(deployment: dict[str, Any]) -> bool:
    """Every replica runs the current template: no pod of an older ReplicaSet is left."""
    status, wanted = deployment.get("status", {}), deployment["spec"].get("replicas", 1)
    return bool(
        status.get("observedGeneration", 0) >= deployment["metadata"].get("generation", 0)
        and status.get("updatedReplicas", 0) == wanted
        and status.get("replicas", 0) == wanted
    )


def pod_problems(s: Stack) -> str:
    problems = []
    for pod in s.kube.items("pods", p.NAMESPACE):
        for status in pod.get("status", {}).get("containerStatuses", []) + pod.get("status", {}).get(
            "initContainerStatuses", []
        ):
            waiting = status.get("state", {}).get("waiting")
            if waiting and waiting.get("reason") not in (None, "PodInitializing", "ContainerCreating"):
                problems.append(f"{pod['metadata']['name']}/{status['name']} {waiting['reason']}")
    return "; ".join(problems[:6]) or "no pod reports a problem"


def up(root: Path, say: Say, build: bool = True) -> dict[str, str]:
    s = stack(root, say)
    bringup.preflight(s)
    fresh = not any(processes.running_pid(s.layout, c.name) for c in components(s))
    s.layout.state.mkdir(parents=True, exist_ok=True)
    try:
        host.save_sysctls(s.layout)
        teardown.record_netns_mount(s)
        host.ensure_bridge()
        host.set_sysctl("net.ipv4.ip_forward", "1")
        host.ensure_pki(s.layout)
        bringup.write_configs(s)
        for component in components(s):
            began = time.monotonic()
            if component.group == "operator" and component.name == "external-secrets":
                contents.install_crds(s)
                s.kube.apply(addons.local_registry_hosting())
                s.kube.apply("\n---\n".join(json.dumps(o) for o in addons.spark_webhook_objects()))
            state = bringup.bring_up(s, component)
            say(f"{component.name:24} {state} ({time.monotonic() - began:.1f}s)")
        if build:
            contents.build_missing_images(s)
        digests = contents.push_images(s)
        say(f"images in the registry at the lock's digests: {', '.join(sorted(digests))}")
        text, resources = rendering(s)
        seeding.seed(s, resources)
        values = seeding.platform_values(resources)
        tables = seeding.seed_raw(s, values)
        warehouse.seed(s, values)
        say(
            f"seeded from dev's values: buckets, Secrets Manager entries, topics, and {tables} synthetic "
            "raw tables in S3 and the warehouse"
        )
        s.kube.apply(json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": p.NAMESPACE}}))
        contents.apply_rendering(s, text, resources)
        wait_workloads(s, resources)
        say(warehouse.build_models(s, resources, values))
    except BaseException:
        if fresh:
            down(root, lambda _: None)
        else:
            for name in reversed(s.started):
                processes.stop(s.layout, name)
        raise
    return endpoints(s)


def endpoints(s: Stack) -> dict[str, str]:
    service = next(
        (v for v in s.kube.items("services", p.NAMESPACE) if v["metadata"]["name"] == "airflow-api-server"),
        None,
    )
    ip = service["spec"]["clusterIP"] if service else "?"
    return {
        # kube-proxy's rules serve Service IPs to this machine's own processes too.
        "Airflow UI and REST API": f"http://{ip}:8080 (Service airflow-api-server)",
        "Airflow login": "none needed locally (every user is admin: local-airflow-login)",
        "Kafka": str(p.KAFKA),
        "S3 and Secrets Manager (LocalStack)": f"{p.AWS_ENDPOINT} (dev's account, region eu-west-1)",
        "Snowflake (fakesnow)": f"http://{p.FAKESNOW}",
        "PostgreSQL (Airflow metadata)": str(p.POSTGRES),
        "Kubernetes": f"KUBECONFIG={s.layout.pki / 'admin.kubeconfig'}",
        "Registry": p.REGISTRY,
    }


def down(root: Path, say: Say, purge: bool = False) -> dict[str, int]:
    s = stack(root, say)
    order = components(s)
    counts = {"stopped": 0}
    first = {"spark-operator", "external-secrets", "kube-controller-manager", "kube-scheduler"}
    for component in reversed(order):
        if component.name in first and processes.stop(s.layout, component.name, component.stop_seconds):
            counts["stopped"] += 1
    teardown.delete_pods(s)
    for component in reversed(order):
        if component.name == "containerd":
            teardown.sweep_containers(s)
        if component.name not in first and processes.stop(s.layout, component.name, component.stop_seconds):
            counts["stopped"] += 1
    teardown.kill_leftover_shims(s)
    counts["mounts"] = host.unmount_under(s.layout.state) + host.unmount_under(s.layout.sockets)
    counts["mounts"] += teardown.remove_netns(s)
    counts["mounts"] += teardown.restore_netns_mount(s)
    counts["mounts"] += teardown.remove_netns(s)  # those that were beneath that mount
    shutil.rmtree(s.layout.kubelet_root, ignore_errors=True)
    s.layout.containerd_socket.unlink(missing_ok=True)
    (s.layout.sockets / "ttrpc.sock").unlink(missing_ok=True)
    if purge:
        shutil.rmtree(s.layout.sockets, ignore_errors=True)
        with contextlib.suppress(OSError):
            s.layout.sockets.parent.rmdir()  # /var/lib/parity, if no other stack's are there
    counts["iptables"] = host.delete_iptables()
    counts["links"] = len(host.delete_links())
    counts["sysctls"] = len(host.restore_sysctls(s.layout))
    if purge and s.layout.state.exists():
        shutil.rmtree(s.layout.state)
    return counts


def status(root: Path) -> dict[str, Any]:
    s = stack(root, lambda _: None)
    rows = []
    for component in components(s):
        pid = processes.running_pid(s.layout, component.name)
        healthy = bool(pid) and bringup.ready_check(s, component)()
        rows.append(
            {
                "name": component.name,
                "group": component.group,
                "pid": pid,
                "health": "ready" if healthy else ("starting" if pid else "stopped"),
                "rss_mib": round(processes.rss_mib(pid), 1) if pid else 0.0,
            }
        )
    pods = teardown.shims_rss(s)
    if pods:
        rows.append(
            {
                "name": "pods (shims + containers)",
                "group": "workloads",
                "pid": None,
                "health": "ready",
                "rss_mib": round(pods, 1),
            }
        )
    workloads = []
    if processes.running_pid(s.layout, "kube-apiserver"):
        for d in s.kube.items("deployments", p.NAMESPACE):
            status_ = d.get("status", {})
            workloads.append(
                {
                    "kind": "Deployment",
                    "name": d["metadata"]["name"],
                    "ready": f"{status_.get('readyReplicas', 0)}/{d['spec'].get('replicas', 1)}",
                    "health": "available"
                    if any(
                        c["type"] == "Available" and c["status"] == "True"
                        for c in status_.get("conditions", [])
                    )
                    else "not available",
                }
            )
        for e in s.kube.items("externalsecrets", p.NAMESPACE):
            conditions = e.get("status", {}).get("conditions", [])
            workloads.append(
                {
                    "kind": "ExternalSecret",
                    "name": e["metadata"]["name"],
                    "ready": "",
                    "health": "synced"
                    if any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
                    else "not synced",
                }
            )
    return {"components": rows, "workloads": workloads, "state": str(s.layout.state)}


def leftovers(root: Path) -> list[str]:
    """What of the stack is still on the machine: each item one line (empty after a clean `down`)."""
    s = stack(root, lambda _: None)
    left = []
    for component in components(s):
        if processes.running_pid(s.layout, component.name):
            left.append(f"process {component.name}")
        for port in component.ports:
            checkable = port.host != p.NODE_IP or host.link_exists(p.NODE_BRIDGE)  # else nothing can bind it
            if checkable and not processes.port_free(port):
                left.append(f"listening port {port} ({processes.holder(port)})")
    left += [
        f"process {pid} (a shim or container)" for pid in teardown.pids_whose_cmdline_has(str(s.layout.state))
    ]
    left += [f"mount {m}" for m in host.mounts_under(s.layout.state) + host.mounts_under(s.layout.sockets)]
    left += [f"network interface {n}" for n in (p.NODE_BRIDGE, p.POD_BRIDGE) if host.link_exists(n)]
    left += [f"iptables chain {t}/{c}" for t, chains in host.our_chains().items() for c in chains]
    left += [f"iptables rule {r}" for r in host.our_rules()]
    if (s.layout.state / "netns-mount.json").exists():
        left.append("/run/netns mount not restored")
    if s.layout.kubelet_root.exists() or s.layout.containerd_socket.exists():
        left.append(f"kubelet root or containerd socket under {s.layout.sockets}")
    if s.layout.sysctls.exists():
        left.append(f"sysctls not restored ({s.layout.sysctls})")
    return left
