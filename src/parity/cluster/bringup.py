"""Edge: bring the local stack's components up one by one: preflight, config files, one-time
state (Kafka's log format, PostgreSQL's initdb), start, and wait until each is ready."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from parity.cluster import configs, contents, host, processes, seeding
from parity.cluster import plan as p
from parity.cluster.context import Stack, UpFailed, components, write
from parity.cluster.plan import Component
from parity.errors import BadInput
from parity.stack import kafka_properties


def preflight(s: Stack) -> None:
    """Everything `up` will run exists, before anything starts."""
    if os.geteuid() != 0:
        raise BadInput("parity up", "needs root (bridges, iptables, mounts)", "Run it as root")
    needed = {c.name: c.argv[0] for c in components(s)}
    needed |= {
        "runc": "runc",
        "cni-plugins": str(p.CNI_BIN / "bridge"),
        "skopeo": "skopeo",
        "openssl": "openssl",
        "iptables": "iptables",
        "kubectl": str(s.devenv / "bin" / "kubectl"),
        "kustomize": str(s.devenv / "bin" / "kustomize"),
        "pause": str(s.devenv / "bin" / "pause"),
        "spark-submit": str(s.spark_home / "bin" / "spark-submit"),
        "go": "go",  # reads the operators' CRDs from the module cache
    }
    for name, program in needed.items():
        found = (
            shutil.which(program) if "/" not in program else (program if Path(program).is_file() else None)
        )
        if not found:
            raise BadInput(name, f"{program} is missing", "Run devenv/bootstrap (make run does it)")


def write_configs(s: Stack) -> None:
    lay = s.layout
    lay.sockets.mkdir(parents=True, exist_ok=True)
    lay.sockets.parent.chmod(0o755)  # the postgres user reaches its data dir through it
    lay.sockets.chmod(0o755)
    write(lay.containerd / "config.toml", configs.containerd_config(lay))
    for registry in ("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "registry.k8s.io", "localhost:5000"):
        write(lay.containerd / "certs.d" / registry / "hosts.toml", configs.registry_hosts(p.REGISTRY))
    write(lay.cni_conf / "10-parity.conflist", configs.cni_conflist(lay))
    lay.cni_data.mkdir(parents=True, exist_ok=True)
    write(lay.kubelet / "config.json", configs.kubelet_config(lay))
    write(lay.kubelet / "resolv.conf", f"nameserver {p.NODE_IP}\nsearch {p.NAMESPACE}.svc.cluster.local\n")
    write(lay.component("kube-proxy") / "config.json", configs.kube_proxy_config(lay))
    write(lay.component("coredns") / "Corefile", configs.corefile(lay))
    write(lay.component("registry") / "config.yml", configs.registry_config(lay))
    write(
        lay.component("kafka") / "server.properties",
        kafka_properties(
            lay.component("kafka"), p.KAFKA.port, p.KAFKA_CONTROLLER.port, p.KAFKA.host, auto_create=False
        ),
    )
    server = f"https://{p.NODE_IP}:6443"
    host.write_kubeconfigs(
        lay,
        server,
        {
            "admin": "admin",
            "kubelet": f"system:node:{p.NODE_NAME}",
            "controller-manager": "system:kube-controller-manager",
            "scheduler": "system:kube-scheduler",
            "kube-proxy": "system:kube-proxy",
        },
    )


def prepare(s: Stack, component: Component) -> None:
    """One-time state a component needs before its first start."""
    lay = s.layout
    if component.name == "kafka" and not (lay.component("kafka") / "data" / "meta.properties").exists():
        from parity.stack import cluster_id

        kafka = lay.component("kafka")
        done = subprocess.run(
            [
                "java",
                "-cp",
                str(s.devenv / "jars" / "kafka" / "*"),
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id(),
                "-c",
                str(kafka / "server.properties"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise UpFailed(
                "kafka", f"storage format failed: {done.stdout[-200:]}{done.stderr[-200:]}", "See above"
            )
    if component.name == "postgres":
        postgres = lay.postgres
        for part in ("run", ""):
            (postgres / part).mkdir(parents=True, exist_ok=True)
        shutil.chown(postgres, "postgres", "postgres")
        shutil.chown(postgres / "run", "postgres", "postgres")
        if not (postgres / "data" / "PG_VERSION").exists():
            shutil.rmtree(postgres / "data", ignore_errors=True)
            done = subprocess.run(
                [
                    "/usr/lib/postgresql/15/bin/initdb",
                    "-D",
                    str(postgres / "data"),
                    "-U",
                    "postgres",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "-E",
                    "UTF8",
                ],
                capture_output=True,
                text=True,
                user="postgres",
                check=False,
                cwd=postgres,
            )
            if done.returncode != 0:
                raise UpFailed(
                    "postgres", f"initdb failed: {done.stderr.strip()[-200:]}", f"Remove {postgres}"
                )
            with (postgres / "data" / "pg_hba.conf").open("a") as hba:
                hba.write(
                    f"host all all {p.POD_CIDR} scram-sha-256\nhost all all {p.NODE_IP}/32 scram-sha-256\n"
                )
    if component.name == "kubelet":
        for sub in ("pki", "pod-logs"):
            (lay.kubelet / sub).mkdir(parents=True, exist_ok=True)
        lay.kubelet_root.mkdir(parents=True, exist_ok=True)


def ready_check(s: Stack, component: Component) -> Callable[[], bool]:
    if component.name == "kube-apiserver":
        token = host.tokens(s.layout)["admin"]
        return lambda: processes.probe(component.ready, token)
    if component.name == "kubelet":
        return lambda: processes.probe(component.ready) and node_ready(s)
    return lambda: processes.probe(component.ready)


def node_ready(s: Stack) -> bool:
    for node in s.kube.items("nodes"):
        for condition in node.get("status", {}).get("conditions", []):
            if condition["type"] == "Ready" and condition["status"] == "True":
                return True
    return False


TIMEOUTS = {"localstack": 90.0, "kafka": 90.0, "kube-apiserver": 60.0, "kubelet": 60.0}


def bring_up(s: Stack, component: Component) -> str:
    if processes.running_pid(s.layout, component.name):
        return "running"
    for port in component.ports:
        if not processes.port_free(port):
            raise BadInput(
                component.name,
                f"port {port} is taken by {processes.holder(port)}",
                "Stop that process (or run parity down if it is an earlier stack's) and run parity up again",
            )
    prepare(s, component)
    pid = processes.start(s.layout, component)
    s.started.append(component.name)
    processes.wait_ready(
        s.layout, component, pid, TIMEOUTS.get(component.name, 45.0), ready_check(s, component)
    )
    after_start(s, component)
    return "started"


def after_start(s: Stack, component: Component) -> None:
    if component.name == "registry":
        contents.push_pause(s)
    if component.name == "postgres":
        seeding.create_airflow_db(s)
