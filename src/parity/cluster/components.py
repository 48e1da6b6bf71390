"""Pure: every process of the local stack, in start order: its command line, ports and readiness."""

from __future__ import annotations

from pathlib import Path

from parity.cluster.plan import (
    AWS_ENDPOINT,
    FAKESNOW,
    KAFKA,
    KAFKA_CONTROLLER,
    LOCALSTACK,
    LOCALSTACK_SERVICES,
    NODE_IP,
    NODE_NAME,
    POD_CIDR,
    POSTGRES,
    REGISTRY,
    SERVICE_CIDR,
    Component,
    Layout,
    Port,
)


def scheduler(bin_: Path, pki: Path, port: Port) -> Component:
    """kube-scheduler with its kubeconfig under `pki`, serving health on `port`."""
    return Component(
        "kube-scheduler",
        (
            str(bin_ / "kube-scheduler"),
            f"--kubeconfig={pki / 'scheduler.kubeconfig'}",
            f"--authentication-kubeconfig={pki / 'scheduler.kubeconfig'}",
            f"--authorization-kubeconfig={pki / 'scheduler.kubeconfig'}",
            f"--bind-address={port.host}",
            f"--secure-port={port.port}",
            "--leader-elect=false",
            "--profiling=false",
        ),
        ports=(port,),
        ready=f"https://{port}/healthz",
    )


def core_components(layout: Layout, devenv: Path) -> list[Component]:
    """The cluster's processes in start order (each needs the ones before it)."""
    bin_ = devenv / "bin"
    pki = layout.pki
    etcd = layout.component("etcd")
    return [
        Component(
            "containerd",
            ("containerd", "--config", str(layout.containerd / "config.toml")),
            ready=f"unix:{layout.containerd_socket}",
        ),
        Component(
            "registry",
            (str(bin_ / "registry"), "serve", str(layout.component("registry") / "config.yml")),
            ports=(Port("127.0.0.1", 5000),),
            ready=f"http://{REGISTRY}/v2/",
        ),
        Component(
            "etcd",
            (
                str(bin_ / "etcd"),
                "--name=parity-local",
                f"--data-dir={etcd / 'data'}",
                "--listen-client-urls=http://127.0.0.1:2379",
                "--advertise-client-urls=http://127.0.0.1:2379",
                "--listen-peer-urls=http://127.0.0.1:2380",
                "--initial-advertise-peer-urls=http://127.0.0.1:2380",
                "--initial-cluster=parity-local=http://127.0.0.1:2380",
                "--log-level=warn",
                "--quota-backend-bytes=2147483648",
            ),
            ports=(Port("127.0.0.1", 2379), Port("127.0.0.1", 2380)),
            ready="http://127.0.0.1:2379/health",
        ),
        Component(
            "kube-apiserver",
            (
                str(bin_ / "kube-apiserver"),
                f"--bind-address={NODE_IP}",
                "--secure-port=6443",
                f"--advertise-address={NODE_IP}",
                "--etcd-servers=http://127.0.0.1:2379",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                f"--client-ca-file={pki / 'ca.crt'}",
                f"--tls-cert-file={pki / 'apiserver.crt'}",
                f"--tls-private-key-file={pki / 'apiserver.key'}",
                f"--token-auth-file={layout.tokens}",
                f"--service-account-key-file={pki / 'sa.pub'}",
                f"--service-account-signing-key-file={pki / 'sa.key'}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--api-audiences=https://kubernetes.default.svc.cluster.local,sts.amazonaws.com",
                "--authorization-mode=Node,RBAC",
                "--kubelet-preferred-address-types=InternalIP",
                "--enable-admission-plugins=NodeRestriction",
                "--allow-privileged=true",
                "--profiling=false",
                "--v=1",
            ),
            ports=(Port(NODE_IP, 6443),),
            ready=f"https://{NODE_IP}:6443/readyz",
            stop_seconds=15,
        ),
        Component(
            "kube-controller-manager",
            (
                str(bin_ / "kube-controller-manager"),
                f"--kubeconfig={pki / 'controller-manager.kubeconfig'}",
                "--bind-address=127.0.0.1",
                "--secure-port=10257",
                f"--root-ca-file={pki / 'ca.crt'}",
                f"--service-account-private-key-file={pki / 'sa.key'}",
                "--use-service-account-credentials=true",
                "--leader-elect=false",
                "--controllers=*,-nodeipam,-bootstrapsigner,-tokencleaner",
                f"--cluster-cidr={POD_CIDR}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--profiling=false",
            ),
            ports=(Port("127.0.0.1", 10257),),
            ready="https://127.0.0.1:10257/healthz",
        ),
        scheduler(bin_, pki, Port("127.0.0.1", 10259)),
        Component(
            "kubelet",
            (
                str(bin_ / "kubelet"),
                f"--config={layout.kubelet / 'config.json'}",
                f"--kubeconfig={pki / 'kubelet.kubeconfig'}",
                f"--root-dir={layout.kubelet_root}",
                f"--cert-dir={layout.kubelet / 'pki'}",
                f"--node-ip={NODE_IP}",
                f"--hostname-override={NODE_NAME}",
                "--v=1",
            ),
            ports=(Port(NODE_IP, 10250), Port("127.0.0.1", 10248)),
            ready="http://127.0.0.1:10248/healthz",
            stop_seconds=15,
        ),
        Component(
            "kube-proxy",
            (str(bin_ / "kube-proxy"), f"--config={layout.component('kube-proxy') / 'config.json'}"),
            ports=(Port("127.0.0.1", 10256), Port("127.0.0.1", 10249)),
            ready="http://127.0.0.1:10256/healthz",
        ),
        Component(
            "coredns",
            (str(bin_ / "coredns"), "-conf", str(layout.component("coredns") / "Corefile")),
            ports=(Port(NODE_IP, 53), Port("127.0.0.1", 8091), Port("127.0.0.1", 8181)),
            ready="http://127.0.0.1:8181/ready",
        ),
    ]


def stand_ins(layout: Layout, devenv: Path) -> list[Component]:
    """The managed services dev uses, as local processes on the node IP (pods reach them there)."""
    kafka = layout.component("kafka")
    postgres = layout.postgres
    localstack = layout.component("localstack")
    return [
        Component(
            "postgres",
            (
                "/usr/lib/postgresql/15/bin/postgres",
                "-D",
                str(postgres / "data"),
                "-c",
                f"listen_addresses={POSTGRES.host}",
                "-p",
                str(POSTGRES.port),
                "-c",
                f"unix_socket_directories={postgres / 'run'}",
                "-c",
                "fsync=off",
            ),
            ports=(POSTGRES,),
            user="postgres",
            ready=f"tcp:{POSTGRES}",
            group="stand-in",
        ),
        Component(
            "kafka",
            (
                "java",
                "-Xmx512m",
                "-Xms128m",
                "-cp",
                str(devenv / "jars" / "kafka" / "*"),
                "kafka.Kafka",
                str(kafka / "server.properties"),
            ),
            ports=(KAFKA, KAFKA_CONTROLLER),
            ready=f"tcp:{KAFKA}",
            group="stand-in",
        ),
        Component(
            "localstack",
            (str(devenv / "venvs" / "localstack" / "bin" / "python"), "-m", "localstack.runtime.main"),
            ports=(LOCALSTACK,),
            env={
                "GATEWAY_LISTEN": str(LOCALSTACK),
                "SERVICES": LOCALSTACK_SERVICES,
                "OVERRIDE_IN_DOCKER": "0",
                "FILESYSTEM_ROOT": str(localstack / "state"),
                "LOCALSTACK_CLI": "0",
                "DISABLE_EVENTS": "1",
                "SKIP_SSL_CERT_DOWNLOAD": "1",
                "DNS_ADDRESS": "0",
                "SKIP_INFRA_DOWNLOADS": "1",
            },
            ready=f"{AWS_ENDPOINT}/_localstack/health",
            group="stand-in",
        ),
        Component(
            "fakesnow",
            (
                str(devenv / "venvs" / "tool" / "bin" / "fakesnow"),
                "-s",
                "--host",
                FAKESNOW.host,
                "-p",
                str(FAKESNOW.port),
                "-d",
                str(layout.component("fakesnow") / "db"),
            ),
            ports=(FAKESNOW,),
            ready=f"tcp:{FAKESNOW}",
            group="stand-in",
        ),
    ]
