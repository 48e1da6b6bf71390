"""Run a built image as a real container on this machine: podman with runc, or runc directly.

Both share the host's network (loopback services such as the local Kafka broker are reachable at
127.0.0.1). Podman keeps its own storage and configuration under .devenv/images/podman, so
nothing depends on a machine-wide setup; crun is never used (it fails on this kernel's cgroups).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from parity.errors import BadInput, ParityError
from parity.oci import layout
from parity.oci.common import run, run_dir

CONTAINERS_CONF = """\
# Written by parity images run: podman with runc and cgroupfs (crun fails on this kernel's
# hybrid cgroups); limits as a Kubernetes node gives them.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


def _podman_env(root: Path) -> dict[str, str]:
    base = run_dir(root) / "podman"
    base.mkdir(parents=True, exist_ok=True)
    conf = base / "containers.conf"
    storage = base / "storage.conf"
    conf.write_text(CONTAINERS_CONF)
    storage.write_text(
        f'[storage]\ndriver = "overlay"\ngraphroot = "{base / "root"}"\nrunroot = "{base / "run"}"\n'
    )
    return {**os.environ, "CONTAINERS_CONF": str(conf), "CONTAINERS_STORAGE_CONF": str(storage)}


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ParityError(tool, "not installed", "Run devenv/bootstrap (it installs the pinned Debian tools)")
    return path


def podman_load(root: Path, image_layout: Path) -> str:
    """Copy the layout's image into podman's storage (skopeo) once; returns its local name, tagged
    with the manifest digest so a rebuilt image is never confused with an older one."""
    digest, _, _ = layout.read_manifest(image_layout)
    ref = _ref(image_layout)
    name = f"localhost/finsight/{ref}:{digest.removeprefix('sha256:')[:32]}"
    env = _podman_env(root)
    known = subprocess.run([_need("podman"), "image", "exists", name], env=env, capture_output=True)
    if known.returncode != 0:
        run(
            [_need("skopeo"), "copy", "-q", f"oci:{image_layout}:{ref}", f"containers-storage:{name}"],
            "skopeo copy",
            env=env,
        )
    return name


@dataclass(frozen=True)
class Run:
    """What to run in the container, the same for podman and runc."""

    command: Sequence[str]  # arguments for the entrypoint (the image's Cmd when empty)
    env: dict[str, str]
    volumes: Sequence[str]  # HOST:CONTAINER[:ro]
    entrypoint: str | None = None
    timeout: float | None = None


def _ref(image_layout: Path) -> str:
    index = json.loads((image_layout / "index.json").read_text())
    return str(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])


def run_podman(root: Path, image_layout: Path, how: Run) -> int:
    image = podman_load(root, image_layout)
    cmd = [_need("podman"), "run", "--rm", "--network", "host", "--pull", "never"]
    for key, value in sorted(how.env.items()):
        cmd += ["--env", f"{key}={value}"]
    for volume in how.volumes:
        cmd += ["--volume", volume]
    if how.entrypoint is not None:
        cmd += ["--entrypoint", json.dumps([how.entrypoint])]
    cmd += [image, *how.command]
    return subprocess.run(cmd, env=_podman_env(root), timeout=how.timeout, check=False).returncode


def run_runc(root: Path, image_layout: Path, how: Run) -> int:
    """umoci unpacks the image into a throw-away bundle; runc runs it (no terminal, host network)."""
    umoci, runc = _need("umoci"), _need("runc")
    _, _, config = layout.read_manifest(image_layout)
    ref = _ref(image_layout)
    image_config = config["config"]
    run_dir(root).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="runc-", dir=run_dir(root)) as tmp:
        bundle = Path(tmp) / "bundle"
        run([umoci, "unpack", "--image", f"{image_layout}:{ref}", str(bundle)], "umoci unpack")
        spec = json.loads((bundle / "config.json").read_text())
        process = spec["process"]
        process["terminal"] = False
        argv = [how.entrypoint] if how.entrypoint is not None else list(image_config.get("Entrypoint") or [])
        process["args"] = argv + (list(how.command) if how.command else list(image_config.get("Cmd") or []))
        merged = dict(item.split("=", 1) for item in process.get("env", []))
        merged.update(how.env)
        process["env"] = [f"{k}={v}" for k, v in merged.items()]
        process["rlimits"] = [
            {"type": "RLIMIT_NOFILE", "hard": 20000, "soft": 20000},
            {"type": "RLIMIT_NPROC", "hard": 32768, "soft": 32768},
        ]
        spec["linux"]["namespaces"] = [n for n in spec["linux"]["namespaces"] if n["type"] != "network"]
        resolv = Path("/etc/resolv.conf")
        mounts = (
            [
                {
                    "destination": "/etc/resolv.conf",
                    "type": "bind",
                    "source": str(resolv),
                    "options": ["rbind", "ro"],
                }
            ]
            if resolv.exists()
            else []
        )
        for volume in how.volumes:
            source, _, destination = volume.partition(":")
            destination, _, mode = destination.partition(":")
            options = ["rbind", "ro" if mode == "ro" else "rw"]
            mounts.append({"destination": destination, "type": "bind", "source": source, "options": options})
        spec["mounts"] = [*spec.get("mounts", []), *mounts]
        (bundle / "config.json").write_text(json.dumps(spec))
        name = f"parity-{Path(tmp).name}"
        try:
            return subprocess.run(
                [runc, "run", "--bundle", str(bundle), name], timeout=how.timeout, check=False
            ).returncode
        finally:
            subprocess.run([runc, "delete", "--force", name], capture_output=True, check=False)


def parse_env(items: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise BadInput(f"--env {item}", "not KEY=VALUE", "Write --env NAME=value")
        out[key] = value
    return out


def check_volumes(volumes: Sequence[str]) -> None:
    for volume in volumes:
        source, _, destination = volume.partition(":")
        if not destination.startswith("/") or not Path(source).is_absolute() or not Path(source).exists():
            raise BadInput(
                f"--volume {volume}",
                "needs an existing absolute HOST path and an absolute container path",
                "Write --volume /host/dir:/container/dir[:ro]",
            )
