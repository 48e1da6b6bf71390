"""Edge: what the stand-ins and the registry must hold before the workloads start: the pause and
workload images at their locked digests, the Airflow database, and from the local rendering's
values the buckets, Secrets Manager entries and topics; the operators' CRDs."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

from parity import image_inputs
from parity.cluster import plan as p
from parity.cluster.context import IMAGES, Stack, UpFailed
from parity.cluster.kube import KubeError
from parity.oci import layout as oci


def push_pause(s: Stack) -> None:
    """The sandbox image, built here from the pinned pause binary (same bytes every time), served by
    the local registry under the name containerd asks for."""
    work = s.layout.component("pause")
    layer_dir = work / "rootfs"
    layer_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(s.devenv / "bin" / "pause", layer_dir / "pause")
    blob = oci.write_layer([("pause", layer_dir / "pause")], work / "layer.tar.gz", 0)
    layer = oci.Layer(blob, work / "layer.tar.gz", "COPY pause /pause")
    config = {"Entrypoint": ["/pause"], "User": "65535:65535"}
    oci.write_layout(work / "layout", "pause", config, [layer], "1970-01-01T00:00:00Z")
    skopeo_push(work / "layout", "pause", "pause:3.10")


def skopeo_push(layout_dir: Path, ref: str, target: str) -> None:
    done = subprocess.run(
        [
            "skopeo",
            "copy",
            "--quiet",
            "--preserve-digests",
            "--dest-tls-verify=false",
            f"oci:{layout_dir}:{ref}",
            f"docker://{p.REGISTRY}/{target}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise UpFailed(
            "registry", f"push of {target} failed: {done.stderr.strip()[-300:]}", "See parity status"
        )


def in_registry(repository: str, digest: str) -> bool:
    request = urllib.request.Request(
        f"http://{p.REGISTRY}/v2/{repository}/manifests/{digest}",
        method="HEAD",
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - our loopback registry
            return int(response.status) == 200
    except OSError:
        return False


def push_images(s: Stack) -> dict[str, str]:
    """Push each locked image's built layout; the registry must then hold the lock's digest."""
    locked = image_inputs.locked_images(s.root)
    for name, entry in sorted(locked.items()):
        repository = entry["repository"].split("/", 1)[1]  # finsight/<name>
        layout_dir = s.root / IMAGES / name
        built = oci.read_manifest(layout_dir)[0] if (layout_dir / "index.json").is_file() else ""
        if built == entry["digest"] and not in_registry(repository, entry["digest"]):
            skopeo_push(layout_dir, name, f"{repository}:locked")
        if not in_registry(repository, entry["digest"]):
            have = f"the built layout is {built[:19]}..." if built else f"{IMAGES / name} is not built"
            raise UpFailed(
                f"image {name}",
                f"{entry['digest'][:19]}... (lock/images.lock.json) is not in the registry: {have}",
                f"Run parity images build {name} (a changed input needs scripts/lock-images), then parity up",
            )
    return {name: entry["digest"] for name, entry in locked.items()}


def build_missing_images(s: Stack) -> None:
    missing = [
        n for n in image_inputs.locked_images(s.root) if not (s.root / IMAGES / n / "index.json").is_file()
    ]
    if missing:
        s.say(f"building images {', '.join(missing)} (reproducible: the lock's digests)")
        done = subprocess.run(
            [str(s.devenv / "bin" / "parity"), "--repo", str(s.root), "images", "build", *missing],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["failed"])[-1]
            raise UpFailed("parity images build", tail, "Fix the build, then parity up")


# The operators' CRDs: (wrapper under devenv/go, its pinned module, the CRD files in that module).
CRDS = (
    (
        "external-secrets",
        "github.com/external-secrets/external-secrets",
        "config/crds/bases/*.io_*.yaml",  # every group: the controller watches generators too
    ),
    (
        "spark-operator",
        "github.com/kubeflow/spark-operator/v2",
        "config/crd/bases/sparkoperator.k8s.io_*.yaml",
    ),
)


def crd_manifests(root: Path) -> list[str]:
    """The operators' CRDs from their pinned modules (the same files that validate the renders)."""
    out = []
    for tool, module, pattern in CRDS:
        wrapper = root / "devenv" / "go" / tool
        done = subprocess.run(
            ["go", "list", "-m", "-json", module], cwd=wrapper, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise UpFailed(tool, "its module is not in the Go module cache", "Run devenv/bootstrap")
        directory = Path(json.loads(done.stdout)["Dir"])
        files = sorted(directory.glob(pattern))
        if not files:
            raise UpFailed(tool, f"no CRDs under {directory}", "Run devenv/bootstrap")
        out.append("\n---\n".join(f.read_text() for f in files))
    return out


def install_crds(s: Stack) -> None:
    for manifest in crd_manifests(s.root):
        s.kube.apply(manifest)
    s.kube.run("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")


def apply_rendering(s: Stack, text: str, resources: list[dict[str, Any]]) -> None:
    """The local rendering, server-side applied. A Job's pod template cannot change once made, and
    `tilt up` re-makes the dbt-runner template with its own image: if the apply fails, the
    suspended template Jobs (they run nothing) are deleted and the rendering applied once more."""
    try:
        s.kube.apply(text)
    except KubeError:
        templates = [
            r["metadata"]["name"] for r in resources if r["kind"] == "Job" and r["spec"].get("suspend")
        ]
        if not templates:
            raise
        s.kube.run("delete", "job", *templates, "-n", p.NAMESPACE, "--ignore-not-found", "--wait=true")
        s.kube.apply(text)
