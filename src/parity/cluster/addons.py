"""Pure: the operators prod runs in-cluster (external-secrets, the Spark operator's controller and
webhook), run here as host processes, and the cluster objects parity applies for them and for
Tilt (the webhook's Service and configurations, the local-registry-hosting ConfigMap)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from parity.cluster.plan import AWS_ENDPOINT, NAMESPACE, NODE_IP, Component, Layout, Port


def operators(layout: Layout, devenv: Path, spark_home: Path, java_home: str) -> list[Component]:
    """The two controllers prod runs in-cluster, run here as host processes against the API server."""
    admin = str(layout.pki / "admin.kubeconfig")
    return [
        Component(
            "external-secrets",
            (
                str(devenv / "bin" / "external-secrets"),
                "--metrics-addr=127.0.0.1:8180",
                f"--namespace={NAMESPACE}",
                "--enable-cluster-store-reconciler=false",
                "--enable-cluster-external-secret-reconciler=false",
                "--enable-cluster-push-secret-reconciler=false",
                "--enable-push-secret-reconciler=false",
                "--loglevel=info",
            ),
            ports=(Port("127.0.0.1", 8180),),
            # Secrets Manager and STS are LocalStack's (the provider's documented endpoint variables).
            env={
                "KUBECONFIG": admin,
                "AWS_SECRETSMANAGER_ENDPOINT": AWS_ENDPOINT,
                "AWS_STS_ENDPOINT": AWS_ENDPOINT,
            },
            ready="http://127.0.0.1:8180/metrics",
            group="operator",
        ),
        Component(
            "spark-operator-webhook",
            (
                str(devenv / "bin" / "spark-operator"),
                "webhook",
                "start",
                f"--namespaces={NAMESPACE}",
                "--webhook-port=9443",
                f"--webhook-cert-dir={layout.component('spark-operator-webhook') / 'certs'}",
                "--webhook-secret-name=spark-operator-webhook-certs",
                "--webhook-secret-namespace=spark-operator",
                "--webhook-svc-name=spark-operator-webhook",
                "--webhook-svc-namespace=spark-operator",
                "--mutating-webhook-name=spark-operator-webhook",
                "--validating-webhook-name=spark-operator-webhook",
                "--health-probe-bind-address=127.0.0.1:8082",
                "--metrics-bind-address=0",
                "--leader-election=false",
            ),
            # controller-runtime's webhook server takes a port, not an address: it listens on every
            # interface of this machine (the API server reaches it on the node IP).
            ports=(Port(NODE_IP, 9443), Port("127.0.0.1", 8082)),
            env={"KUBECONFIG": admin},
            ready="http://127.0.0.1:8082/readyz",
            group="operator",
        ),
        Component(
            "spark-operator",
            (
                str(devenv / "bin" / "spark-operator"),
                "controller",
                "start",
                f"--namespaces={NAMESPACE}",
                "--health-probe-bind-address=127.0.0.1:8081",
                "--metrics-bind-address=0",
                "--enable-ui-service=false",
                "--leader-election=false",
                "--controller-threads=4",
            ),
            ports=(Port("127.0.0.1", 8081),),
            env={
                "KUBECONFIG": admin,
                "SPARK_HOME": str(spark_home),
                "JAVA_HOME": java_home,
                # spark-submit's master URL (k8s://https://HOST:PORT), as in a pod.
                "KUBERNETES_SERVICE_HOST": NODE_IP,
                "KUBERNETES_SERVICE_PORT": "6443",
            },
            ready="http://127.0.0.1:8081/readyz",
            group="operator",
        ),
    ]


SPARK_WEBHOOK = ("spark-operator", "spark-operator-webhook", 9443)  # namespace, name, port


def spark_webhook_objects() -> list[dict[str, Any]]:
    """What the Spark operator's Helm chart creates for its webhook, pointed at the webhook
    process on the node IP: a Service without selector and its endpoints, and the mutating and
    validating configurations (the webhook fills in their caBundle itself). The pod webhook is what
    gives driver and executor pods the SparkApplication's envFrom, securityContext and volumes."""
    namespace, name, port = SPARK_WEBHOOK

    def hook(kind: str, path: str, group: str, resource: str, operations: list[str]) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": f"{path.strip('/')}.sparkoperator.k8s.io",
            "admissionReviewVersions": ["v1"],
            "clientConfig": {"service": {"name": name, "namespace": namespace, "port": port, "path": path}},
            "sideEffects": "NoneOnDryRun",
            "failurePolicy": "Fail",
            "namespaceSelector": {
                "matchExpressions": [
                    {"key": "kubernetes.io/metadata.name", "operator": "In", "values": [NAMESPACE]}
                ]
            },
            "rules": [
                {
                    "apiGroups": [group],
                    "apiVersions": ["v1" if not group else "v1beta2"],
                    "resources": [resource],
                    "operations": operations,
                }
            ],
            "timeoutSeconds": 10,
        }
        if kind == "pod":
            entry["objectSelector"] = {
                "matchLabels": {"sparkoperator.k8s.io/launched-by-spark-operator": "true"}
            }
        return entry

    meta = {"name": name, "labels": {"app.kubernetes.io/name": "spark-operator"}}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"ports": [{"name": "webhook", "port": port, "targetPort": port}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": name, "namespace": namespace},
            "subsets": [{"addresses": [{"ip": NODE_IP}], "ports": [{"name": "webhook", "port": port}]}],
        },
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingWebhookConfiguration",
            "metadata": meta,
            "webhooks": [
                hook("pod", "/mutate--v1-pod", "", "pods", ["CREATE"]),
                hook(
                    "app",
                    "/mutate-sparkoperator-k8s-io-v1beta2-sparkapplication",
                    "sparkoperator.k8s.io",
                    "sparkapplications",
                    ["CREATE", "UPDATE"],
                ),
            ],
        },
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": meta,
            "webhooks": [
                hook(
                    "app",
                    "/validate-sparkoperator-k8s-io-v1beta2-sparkapplication",
                    "sparkoperator.k8s.io",
                    "sparkapplications",
                    ["CREATE", "UPDATE"],
                ),
            ],
        },
    ]


def local_registry_hosting() -> str:
    """KEP-1755: tells Tilt (and any tool) where to push images for this cluster."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "local-registry-hosting", "namespace": "kube-public"},
            "data": {
                "localRegistryHosting.v1": (
                    'host: "localhost:5000"\nhostFromContainerRuntime: "localhost:5000"\n'
                    'help: "parity up runs this registry on 127.0.0.1:5000"\n'
                )
            },
        }
    )
