"""Every overlay renders, validates strictly (CRDs included), pins every image by digest, and
holds the same resource identities as every other environment."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.platform.conftest import DEVENV, ENVS, ROOT

pytestmark = pytest.mark.integration

K8S_SCHEMAS = str(
    DEVENV / "schemas/kubernetes/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}"
    "/{{ .ResourceKind }}{{ .KindSuffix }}.json"
)
CRD_SCHEMAS = str(DEVENV / "schemas/crds/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json")


def identities(documents: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(d["apiVersion"], d["kind"], d["metadata"]["name"]) for d in documents}


def images(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k == "image" and isinstance(v, str)]
        return found + [i for v in node.values() for i in images(v)]
    if isinstance(node, list):
        return [i for v in node for i in images(v)]
    return []


@pytest.mark.parametrize("env", ENVS)
def test_overlay_validates_strictly_with_crds(
    env: str, rendered: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    manifest = tmp_path / f"{env}.yaml"
    manifest.write_text(yaml.safe_dump_all(rendered[env]))
    done = subprocess.run(
        [
            DEVENV / "bin" / "kubeconform",
            "-strict",
            "-summary",
            "-kubernetes-version",
            "1.34.0",
            "-schema-location",
            K8S_SCHEMAS,
            "-schema-location",
            CRD_SCHEMAS,
            manifest,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Valid: {len(rendered[env])}, Invalid: 0, Errors: 0, Skipped: 0" in done.stdout


@pytest.mark.parametrize("env", ENVS)
def test_every_image_is_pinned_by_digest(env: str, rendered: dict[str, list[dict[str, Any]]]) -> None:
    found = images(rendered[env])
    assert len(found) == 28  # 4 Airflow components, their 5 init containers, dbt, 15 Spark jobs, 3 consumers
    assert [i for i in found if "@sha256:" not in i] == []
    # The worker pod template is a string; its image must be pinned too.
    template = next(d for d in rendered[env] if d["metadata"]["name"] == "airflow-pod-template")
    assert "@sha256:" in yaml.safe_load(template["data"]["worker.yaml"])["spec"]["containers"][0]["image"]


def test_same_resource_identities_in_every_environment(rendered: dict[str, list[dict[str, Any]]]) -> None:
    reference = identities(rendered["dev"])
    for env in ENVS:
        assert identities(rendered[env]) == reference, env
        assert {d["metadata"].get("namespace") for d in rendered[env]} == {f"finsight-{env}"}


def test_the_platform_is_at_finsight_scale(rendered: dict[str, list[dict[str, Any]]]) -> None:
    kinds = Counter(d["kind"] for d in rendered["prod"])
    assert kinds["SparkApplication"] == 15
    assert kinds["ExternalSecret"] == 4
    assert kinds["HorizontalPodAutoscaler"] == kinds["PodDisruptionBudget"] == 3
    assert kinds["Secret"] == 0  # secrets only arrive through ExternalSecrets
    airflow = {d["metadata"]["name"] for d in rendered["prod"] if d["kind"] == "Deployment"}
    assert {
        "airflow-api-server",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
    } <= airflow


def test_overlays_hold_the_same_files() -> None:
    files = {env: sorted(p.name for p in (ROOT / "overlays" / env).iterdir()) for env in ENVS}
    assert all(names == files["dev"] for names in files.values()), files


def test_environments_differ_only_in_values(rendered: dict[str, list[dict[str, Any]]]) -> None:
    """The same value keys everywhere, and no environment names another environment's resources."""
    values = {
        env: next(d for d in rendered[env] if d["metadata"]["name"] == "platform-values")["data"]
        for env in ENVS
    }
    assert all(set(v) == set(values["dev"]) for v in values.values())
    for env in ("dev", "staging", "prod"):
        others = [e for e in ("dev", "staging", "prod") if e != env]
        for key, value in values[env].items():
            for other in others:
                assert value != values[other][key] or key in SHARED, (env, key)


# Keys allowed to be equal across environments (same region, same protocol, same images...).
SHARED = {
    "FINSIGHT_AWS_REGION",
    "FINSIGHT_S3_ENDPOINT_URL",
    "FINSIGHT_LAKE_URI_TEMPLATE",
    "FINSIGHT_KAFKA_SECURITY_PROTOCOL",
    "FINSIGHT_KAFKA_SASL_MECHANISM",
    "FINSIGHT_SNOWFLAKE_PORT",
    "FINSIGHT_SNOWFLAKE_PROTOCOL",
    "FINSIGHT_SNOWFLAKE_SCHEMA",
    "FINSIGHT_DBT_IMAGE",
    "FINSIGHT_STREAMING_IMAGE",
    "FINSIGHT_SNOWFLAKE_WAREHOUSE_SIZE",
    "FINSIGHT_SPARK_SHUFFLE_PARTITIONS",
}
