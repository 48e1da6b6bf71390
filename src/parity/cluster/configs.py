"""Pure: the configuration files of the local cluster's components, as text."""

from __future__ import annotations

import json
from pathlib import Path

from parity.cluster.plan import (
    CLUSTER_DOMAIN,
    CNI_BIN,
    NODE_IP,
    NODE_NAME,
    PAUSE_IMAGE,
    POD_BRIDGE,
    POD_CIDR,
    REGISTRY,
    Layout,
)


def containerd_config(layout: Layout) -> str:
    root = layout.containerd
    return f"""version = 2
root = "{root / "root"}"
state = "{root / "state"}"

[grpc]
  address = "{layout.containerd_socket}"

[ttrpc]
  address = "{layout.sockets / "ttrpc.sock"}"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE_IMAGE}"
  # Root here lacks CAP_SYS_RESOURCE: without this every sandbox fails to start (CLUSTER-FACTS).
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{CNI_BIN}"
    conf_dir = "{layout.cni_conf}"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "{root / "certs.d"}"
"""


def registry_hosts(mirror: str) -> str:
    """containerd's hosts.toml: pull this registry's images from the local one, over plain HTTP."""
    return f"""server = "http://{mirror}"

[host."http://{mirror}"]
  capabilities = ["pull", "resolve"]
  skip_verify = true
"""


def cni_conflist(layout: Layout) -> str:
    return json.dumps(
        {
            "cniVersion": "0.4.0",
            "name": "parity",
            "plugins": [
                {
                    "type": "bridge",
                    "bridge": POD_BRIDGE,
                    "isGateway": True,
                    "ipMasq": True,
                    "hairpinMode": True,
                    "ipam": {
                        "type": "host-local",
                        "ranges": [[{"subnet": POD_CIDR}]],
                        "routes": [{"dst": "0.0.0.0/0"}],
                        "dataDir": str(layout.cni_data),  # else /var/lib/cni/networks
                    },
                },
                {"type": "portmap", "capabilities": {"portMappings": True}},
            ],
        },
        indent=2,
    )


def kubeconfig(server: str, ca: Path, token: str, user: str, name: str = "parity-local") -> str:
    """One cluster, one user, one context named `name` (the current one)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority": str(ca)}}],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": user}}],
            "current-context": name,
        },
        indent=2,
    )


def kubelet_config(layout: Layout) -> str:
    return json.dumps(
        {
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            "address": NODE_IP,
            "port": 10250,
            "readOnlyPort": 0,
            "healthzBindAddress": "127.0.0.1",
            "healthzPort": 10248,
            "cgroupDriver": "cgroupfs",
            "failSwapOn": False,
            "failCgroupV1": False,
            # Anonymous + AlwaysAllow lets the API server reach the kubelet (logs, exec) without client
            # certificates: the kubelet listens on the node bridge only, which nothing outside reaches.
            "authentication": {"anonymous": {"enabled": True}, "webhook": {"enabled": False}},
            "authorization": {"mode": "AlwaysAllow"},
            "clusterDNS": [NODE_IP],
            "clusterDomain": CLUSTER_DOMAIN,
            # Pods with dnsPolicy Default get this file: cluster DNS only, never the host's resolver.
            "resolvConf": str(layout.kubelet / "resolv.conf"),
            "podLogsDir": str(layout.kubelet / "pod-logs"),
            "staticPodPath": "",
            "serializeImagePulls": False,
            "maxPods": 60,
            "evictionHard": {
                "memory.available": "100Mi",
                "nodefs.available": "1%",
                "imagefs.available": "1%",
            },
            "imageGCHighThresholdPercent": 100,
            "imageGCLowThresholdPercent": 99,
            "protectKernelDefaults": False,
            "makeIPTablesUtilChains": True,
            "localStorageCapacityIsolation": True,
            "containerRuntimeEndpoint": f"unix://{layout.containerd_socket}",
        },
        indent=2,
    )


def kube_proxy_config(layout: Layout) -> str:
    return json.dumps(
        {
            "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
            "kind": "KubeProxyConfiguration",
            "mode": "iptables",
            "clientConnection": {"kubeconfig": str(layout.pki / "kube-proxy.kubeconfig")},
            "hostnameOverride": NODE_NAME,
            "bindAddress": "127.0.0.1",
            "healthzBindAddress": "127.0.0.1:10256",
            "metricsBindAddress": "127.0.0.1:10249",
            "clusterCIDR": POD_CIDR,
            # Replies from a Service's pod on the same bridge come back through the host.
            "iptables": {"masqueradeAll": True, "localhostNodePorts": False},
            "nodePortAddresses": [f"{NODE_IP}/32"],
            # Leave the conntrack sysctls alone (0 = do not change them).
            "conntrack": {
                "maxPerCore": 0,
                "min": 0,
                "tcpEstablishedTimeout": "0s",
                "tcpCloseWaitTimeout": "0s",
            },
        },
        indent=2,
    )


def corefile(layout: Layout) -> str:
    """Cluster DNS for Service and pod names only. No `forward`: nothing is asked upstream."""
    return f""".:53 {{
    bind {NODE_IP}
    errors
    health 127.0.0.1:8091
    ready 127.0.0.1:8181
    kubernetes {CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {{
        kubeconfig {layout.pki / "admin.kubeconfig"}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }}
    cache 30
}}
"""


def registry_config(layout: Layout) -> str:
    return f"""version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {layout.component("registry") / "data"}
  delete:
    enabled: true
http:
  addr: {REGISTRY}
health:
  storagedriver:
    enabled: false
"""
