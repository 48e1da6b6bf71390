"""Edge: a control plane without a real node, standing in for a remote environment's cluster
(staging, prod) on this machine: its own etcd, kube-apiserver, controller-manager and scheduler,
with kwok playing the kubelet of as many fake nodes as a full-size rendering needs.

Each has its own state directory and ports (index 0, 1, ... keeps them apart), so its objects,
rollouts and history are its own, exactly as a separate cluster's would be. Everything listens on
127.0.0.1 only.
"""

from __future__ import annotations

import functools
import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from parity.cluster import host, processes
from parity.cluster.components import scheduler
from parity.cluster.contents import crd_manifests
from parity.cluster.kube import Kube
from parity.cluster.plan import Component, Layout, Port

FAKE_NODE = {"cpu": "96", "memory": "384Gi", "pods": "250"}


@dataclass(frozen=True)
class ControlPlane:
    name: str  # the kubeconfig context it is known by
    state: Path
    index: int

    @property
    def layout(self) -> Layout:
        return Layout(self.state)

    def port(self, offset: int) -> Port:
        return Port("127.0.0.1", 21000 + 100 * self.index + offset)

    @property
    def server(self) -> str:
        return f"https://{self.port(43)}"

    @property
    def kubeconfig(self) -> Path:
        return self.layout.pki / "admin.kubeconfig"


def stages(root: Path) -> list[Path]:
    """kwok's own stage files from its pinned module: nodes become Ready and keep a heartbeat;
    pods are created, their (init) containers run, they become Ready, complete and are deleted."""
    done = subprocess.run(
        ["go", "list", "-m", "-json", "sigs.k8s.io/kwok"],
        cwd=root / "devenv" / "go" / "kwok",
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise processes.StartFailed(
            "kwok", "its module is not in the Go module cache", "Run devenv/bootstrap"
        )
    stage = Path(json.loads(done.stdout)["Dir"]) / "kustomize" / "stage"
    return [
        stage / "node" / "fast" / "node-initialize.yaml",
        stage / "node" / "heartbeat" / "node-heartbeat.yaml",
        *sorted((stage / "pod" / "general").glob("pod-*.yaml")),
    ]


def components(cp: ControlPlane, devenv: Path, stage_files: list[Path] | None = None) -> list[Component]:
    bin_ = devenv / "bin"
    pki = cp.layout.pki
    etcd, peer, api, kcm, sched = cp.port(79), cp.port(80), cp.port(43), cp.port(57), cp.port(59)
    return [
        Component(
            "etcd",
            (
                str(bin_ / "etcd"),
                f"--name={cp.name}",
                f"--data-dir={cp.state / 'etcd'}",
                f"--listen-client-urls=http://{etcd}",
                f"--advertise-client-urls=http://{etcd}",
                f"--listen-peer-urls=http://{peer}",
                f"--initial-advertise-peer-urls=http://{peer}",
                f"--initial-cluster={cp.name}=http://{peer}",
                "--log-level=warn",
                "--unsafe-no-fsync",  # a stand-in: its durability is not what the tests measure
            ),
            ports=(etcd, peer),
            ready=f"http://{etcd}/health",
        ),
        Component(
            "kube-apiserver",
            (
                str(bin_ / "kube-apiserver"),
                f"--bind-address={api.host}",
                f"--secure-port={api.port}",
                f"--advertise-address={api.host}",
                f"--etcd-servers=http://{etcd}",
                "--service-cluster-ip-range=10.96.0.0/16",
                f"--client-ca-file={pki / 'ca.crt'}",
                f"--tls-cert-file={pki / 'apiserver.crt'}",
                f"--tls-private-key-file={pki / 'apiserver.key'}",
                f"--token-auth-file={cp.layout.tokens}",
                f"--service-account-key-file={pki / 'sa.pub'}",
                f"--service-account-signing-key-file={pki / 'sa.key'}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--authorization-mode=RBAC",
                "--profiling=false",
            ),
            ports=(api,),
            ready=f"{cp.server}/readyz",
            stop_seconds=15,
        ),
        Component(
            "kube-controller-manager",
            (
                str(bin_ / "kube-controller-manager"),
                f"--kubeconfig={pki / 'controller-manager.kubeconfig'}",
                f"--bind-address={kcm.host}",
                f"--secure-port={kcm.port}",
                f"--root-ca-file={pki / 'ca.crt'}",
                f"--service-account-private-key-file={pki / 'sa.key'}",
                "--use-service-account-credentials=true",
                "--leader-elect=false",
                "--controllers=*,-nodeipam,-bootstrapsigner,-tokencleaner",
                "--concurrent-deployment-syncs=20",
                "--concurrent-replicaset-syncs=20",
                "--kube-api-qps=200",
                "--kube-api-burst=400",
                "--profiling=false",
            ),
            ports=(kcm,),
            ready=f"https://{kcm}/healthz",
        ),
        scheduler(bin_, pki, sched),
        Component(
            "kwok",
            (
                str(bin_ / "kwok"),
                f"--kubeconfig={cp.kubeconfig}",
                "--manage-all-nodes=false",
                "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                "--cidr=10.0.0.0/16",
                f"--node-ip={api.host}",
                *(f"--config={f}" for f in stage_files or []),
            ),
        ),
    ]


def fake_nodes(count: int) -> str:
    nodes = [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": f"kwok-node-{i}",
                "annotations": {"kwok.x-k8s.io/node": "fake"},
                "labels": {"type": "kwok", "kubernetes.io/hostname": f"kwok-node-{i}"},
            },
            "status": {"allocatable": FAKE_NODE, "capacity": FAKE_NODE},
        }
        for i in range(count)
    ]
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": nodes})


def _ready(target: str) -> bool:
    return not target or processes.probe(target)


def start(cp: ControlPlane, root: Path, devenv: Path, nodes: int = 4) -> float:
    """Start every process in order (stopping what started if one fails), install the operators'
    CRDs and the fake nodes; the seconds it took."""
    began = time.monotonic()
    host.ensure_pki(cp.layout)
    host.write_kubeconfigs(
        cp.layout,
        cp.server,
        {
            "admin": "admin",
            "controller-manager": "system:kube-controller-manager",
            "scheduler": "system:kube-scheduler",
        },
        cp.name,
    )
    try:
        for component in components(cp, devenv, stages(root)):
            for port in component.ports:
                if not processes.port_free(port):
                    raise processes.StartFailed(
                        component.name,
                        f"port {port} is taken by {processes.holder(port)}",
                        "Stop it, or stop the other control plane",
                    )
            pid = processes.start(cp.layout, component)
            processes.wait_ready(cp.layout, component, pid, 90, functools.partial(_ready, component.ready))
        kube = Kube(devenv / "bin" / "kubectl", cp.layout)
        for manifest in crd_manifests(root):
            kube.apply(manifest)
        kube.apply(fake_nodes(nodes))
        kube.run("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
    except BaseException:
        stop(cp)
        raise
    return time.monotonic() - began


def stop(cp: ControlPlane) -> None:
    for component in reversed(components(cp, Path())):
        processes.stop(cp.layout, component.name, component.stop_seconds)
