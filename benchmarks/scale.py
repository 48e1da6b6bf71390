"""Scale generator: a copy of the platform repository with N times the workloads.

Usage: python -m benchmarks.scale FACTOR OUT_DIR

Every resource of k8s/base gets FACTOR-1 more copies (a workload the size of a DAG family:
Deployments, HPAs, PDBs, SparkApplications, ExternalSecrets...), named `<name>-s<i>`, so each
environment renders FACTOR times as many resources through the same overlays and components.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SKIP = {"kustomization.yaml"}


def copy_repository(out: Path) -> None:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, out / name)


def renamed(document: dict[str, Any], suffix: str) -> dict[str, Any]:
    text = yaml.safe_dump(document, sort_keys=False)
    name = document["metadata"]["name"]
    copy = yaml.safe_load(text)
    copy["metadata"]["name"] = f"{name}{suffix}"
    # Keep selectors pointing at the copy's own pods.
    labels = copy.get("spec", {}).get("selector", {}).get("matchLabels")
    if isinstance(labels, dict) and "app.kubernetes.io/component" in labels:
        labels["app.kubernetes.io/component"] += suffix
        template = copy["spec"].get("template", {}).get("metadata", {}).get("labels", {})
        if "app.kubernetes.io/component" in template:
            template["app.kubernetes.io/component"] += suffix
    if copy["kind"] == "HorizontalPodAutoscaler":
        copy["spec"]["scaleTargetRef"]["name"] += suffix
    return dict(copy)


def shared_configmaps(repo: Path) -> set[str]:
    """ConfigMaps the env-values component writes into by name (the Airflow pod template)."""
    component = yaml.safe_load((repo / "k8s/components/env-values/kustomization.yaml").read_text())
    return {
        target["select"]["name"]
        for replacement in component.get("replacements", [])
        for target in replacement.get("targets", [])
        if target.get("select", {}).get("kind") == "ConfigMap" and "name" in target.get("select", {})
    }


def scale(factor: int, out: Path) -> int:
    if out.exists():
        shutil.rmtree(out)
    copy_repository(out)
    base = out / "k8s" / "base"
    kustomization = yaml.safe_load((base / "kustomization.yaml").read_text())
    added = []
    shared = shared_configmaps(out)
    for name in list(kustomization["resources"]):
        document = yaml.safe_load((base / name).read_text())
        if document["kind"] == "ConfigMap" and document["metadata"]["name"] in shared:
            continue  # configuration the workloads share (the component fills it by name): one copy
        for i in range(1, factor):
            target = f"{Path(name).stem}-s{i}.yaml"
            (base / target).write_text(yaml.safe_dump(renamed(document, f"-s{i}"), sort_keys=False))
            added.append(target)
    kustomization["resources"] = sorted([*kustomization["resources"], *added])
    (base / "kustomization.yaml").write_text(yaml.safe_dump(kustomization, sort_keys=False))
    # A repository like the real one: lint and its peer see the tracked files.
    subprocess.run(["git", "init", "-q"], cwd=out, check=True)
    subprocess.run(["git", "add", "-A"], cwd=out, check=True)
    return len(kustomization["resources"])


if __name__ == "__main__":
    count = scale(int(sys.argv[1]), Path(sys.argv[2]))
    print(f"{count} base resources in {sys.argv[2]}")
