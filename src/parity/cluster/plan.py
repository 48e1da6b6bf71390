"""Pure: where the local cluster lives, the addresses it uses, and each component's command line and
configuration text. Nothing here touches the machine.

Pods reach host processes on the node IP, an address on a bridge of our own (the kubelet refuses a
loopback node IP, and this kernel has no dummy links). So everything a pod must reach listens there
(API server, cluster DNS, the stand-ins); everything else listens on 127.0.0.1 only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

NODE_IP = "10.200.0.1"
NODE_BRIDGE = "parity0"
POD_BRIDGE = "cni0"
POD_CIDR = "10.244.0.0/24"
SERVICE_CIDR = "10.96.0.0/24"
API_SERVICE_IP = "10.96.0.1"
NODE_NAME = "parity-local"
CLUSTER_DOMAIN = "cluster.local"
REGISTRY = "127.0.0.1:5000"
NAMESPACE = "finsight-dev"  # the local rendering is the dev overlay, in dev's namespace
CNI_BIN = Path("/usr/lib/cni")
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"

# Sysctls the kubelet, kube-proxy or we change; saved before the first start, restored by `down`.
SYSCTLS = (
    "net.ipv4.ip_forward",
    "vm.overcommit_memory",
    "kernel.panic",
    "kernel.panic_on_oops",
    "net.ipv4.conf.all.route_localnet",
    "net.bridge.bridge-nf-call-iptables",
    "net.netfilter.nf_conntrack_max",
    "net.netfilter.nf_conntrack_tcp_timeout_established",
    "net.netfilter.nf_conntrack_tcp_timeout_close_wait",
)

# iptables chains the kubelet, kube-proxy and the CNI plugins create (by name prefix).
CHAIN_PREFIXES = ("KUBE-", "CNI-")


@dataclass(frozen=True)
class Port:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Layout:
    """Every path under the state directory (`.parity/local` in the repository)."""

    state: Path

    @property
    def pki(self) -> Path:
        return self.state / "pki"

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def pids(self) -> Path:
        return self.state / "pids"

    @property
    def kubeconfig(self) -> Path:
        return self.state / "kubeconfig"

    @property
    def containerd(self) -> Path:
        return self.state / "containerd"

    @property
    def sockets(self) -> Path:
        """A short directory, one per state directory, for what holds unix sockets: containerd's
        and the kubelet's root (socket paths are limited to 107 bytes, which a state directory in
        a deep checkout exceeds), and PostgreSQL's data. `down` removes all but the data."""
        return Path("/var/lib/parity") / hashlib.sha256(str(self.state).encode()).hexdigest()[:12]

    @property
    def kubelet_root(self) -> Path:
        return self.sockets / "kubelet"

    @property
    def postgres(self) -> Path:
        """PostgreSQL's data: outside the checkout, which the postgres user may not traverse."""
        return self.sockets / "postgres"

    @property
    def containerd_socket(self) -> Path:
        return self.sockets / "containerd.sock"

    @property
    def kubelet(self) -> Path:
        return self.state / "kubelet"

    @property
    def cni_conf(self) -> Path:
        return self.state / "cni" / "net.d"

    @property
    def cni_data(self) -> Path:
        return self.state / "cni" / "networks"

    @property
    def sysctls(self) -> Path:
        return self.state / "sysctls.json"

    @property
    def tokens(self) -> Path:
        return self.pki / "tokens.csv"

    def component(self, name: str) -> Path:
        return self.state / name


@dataclass(frozen=True)
class Component:
    """One process of the stack: its command line, where it listens, and how it is judged ready."""

    name: str
    argv: tuple[str, ...]
    ports: tuple[Port, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None  # run as this user (PostgreSQL refuses root)
    ready: str = ""  # a URL answered 2xx when ready, or "tcp:HOST:PORT", or "" (the caller waits)
    stop_seconds: float = 10.0
    group: str = "cluster"  # cluster | stand-in | operator


# The stand-ins: on the node IP, where pods reach them.
KAFKA = Port(NODE_IP, 9092)
KAFKA_CONTROLLER = Port("127.0.0.1", 9093)
LOCALSTACK = Port(NODE_IP, 4566)
FAKESNOW = Port(NODE_IP, 8085)
POSTGRES = Port(NODE_IP, 5432)
AWS_ENDPOINT = f"http://{LOCALSTACK}"
LOCALSTACK_SERVICES = "s3,secretsmanager,sts,iam,cloudformation"  # iam, cloudformation: parity infra
