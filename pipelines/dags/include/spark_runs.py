"""Launch a run of a SparkApplication that the platform applied (suspended) to this namespace.

The 15 SparkApplications live in k8s/base, rendered per environment with that environment's
executor sizes and the release's image digest, and applied with `spec.suspend: true`: they are
templates. A run copies the live template's spec under a run-specific name, unsuspended, and
waits for the spark-operator to report a terminal state. DAG files therefore never hold Spark
sizing or image references, and nothing is read from the cluster at parse time.
"""

from __future__ import annotations

import time
from typing import Any

from airflow.providers.cncf.kubernetes.hooks.kubernetes import KubernetesHook
from airflow.sdk import BaseOperator

GROUP, VERSION, PLURAL = "sparkoperator.k8s.io", "v1beta2", "sparkapplications"
DONE, FAILED = {"COMPLETED"}, {"FAILED", "SUBMISSION_FAILED", "FAILING", "UNKNOWN"}


class SparkApplicationRunOperator(BaseOperator):
    template_fields = ("template_name", "run_suffix", "run_date")

    def __init__(
        self,
        *,
        template_name: str,
        run_suffix: str = "{{ ts_nodash | lower }}",
        run_date: str = "{{ ds }}",
        poll_seconds: int = 30,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.template_name = template_name
        self.run_suffix = run_suffix
        self.run_date = run_date
        self.poll_seconds = poll_seconds

    def execute(self, context: Any) -> str:
        hook = KubernetesHook()
        api, namespace = hook.custom_object_client, hook.get_namespace() or "default"
        template = api.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, self.template_name)
        name = f"{self.template_name}-{self.run_suffix}"[:63].rstrip("-")
        # The job measures ages from the run's logical date, not from the day it happens to run.
        arguments = [*template["spec"].get("arguments", []), "--as-of", self.run_date]
        spec = {**template["spec"], "suspend": False, "arguments": arguments}
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "SparkApplication",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": {
                    **template["metadata"].get("labels", {}),
                    "finsight.io/run-of": self.template_name,
                },
            },
            "spec": spec,
        }
        api.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body)
        while True:
            app = api.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
            state = app.get("status", {}).get("applicationState", {}).get("state", "")
            if state in DONE:
                return name
            if state in FAILED:
                raise RuntimeError(f"SparkApplication {name} ended {state}")
            time.sleep(self.poll_seconds)
