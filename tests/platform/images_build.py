"""The clean build of workload images, shared by the test modules that each build one base's
images (tests/platform/test_images_build_*.py, on workers of their own): from scratch (no layer
cache read, the base re-made by mmdebstrap, chroot, normalised layers) each reproduces the digest in
lock/images.lock.json bit for bit, holds exactly its lock group's packages, and has normalised
files. A module names its images in `IMAGES`."""

from __future__ import annotations

import json
import re
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

from parity.oci import definition, layout
from parity.oci.requirements import parse_requirements
from tests.conftest import DEVENV, ROOT

SITE = "opt/venv/lib/python3.11/site-packages/"


def parity(*args: str, repo: Path = ROOT, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DEVENV / "bin" / "parity"), *args, "--repo", str(repo)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**__import__("os").environ, "PARITY_DEVENV": str(DEVENV)},
    )


def locked(repo: Path = ROOT) -> dict[str, str]:
    images = json.loads((repo / "lock/images.lock.json").read_text())["images"]
    return {name: entry["digest"] for name, entry in images.items()}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "name" in metafunc.fixturenames:
        metafunc.parametrize("name", metafunc.module.IMAGES)


@pytest.fixture(scope="module")
def clean_build(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The module's images from scratch (no layer cache read, base re-made by mmdebstrap): a build
    independent of the one that made the lock, on another checkout."""
    out = tmp_path_factory.mktemp("clean")
    names = list(request.module.IMAGES)
    done = parity("images", "build", *names, "--no-cache", "--out", str(out), "--format", "json")
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return {image["name"]: image for image in result["images"]}


def test_two_clean_builds_give_the_locked_digests(
    clean_build: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    # The lock was recorded by a clean build on another checkout; this one, from scratch on this
    # checkout, agrees image by image. (`parity images verify`, a further clean build that keeps
    # nothing, is exercised by tests/platform/test_images_lock.py.)
    assert {name: image["digest"] for name, image in clean_build.items()} == {
        name: digest for name, digest in locked().items() if name in clean_build
    }
    assert sorted(clean_build) == sorted(request.module.IMAGES)
    assert all(image["layout"] for image in clean_build.values())


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dists_in_layer(layer: Path) -> dict[str, str]:
    """name -> version of every distribution installed in an image's /opt/venv."""
    out = {}
    with tarfile.open(layer, mode="r|gz") as tar:
        for member in tar:
            parts = member.name.removeprefix(SITE).split("/")
            in_site = member.name.startswith(SITE) and len(parts) == 2
            if in_site and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                handle = tar.extractfile(member)
                text = handle.read().decode() if handle else ""
                fields = dict(re.findall(r"^(Name|Version): (.*?)\r?$", text, re.M))
                out[normalise(fields["Name"])] = fields["Version"]
    return out


def dists_in_venv(venv: Path) -> dict[str, str]:
    out = {}
    for metadata in venv.glob("lib/python3.11/site-packages/*.dist-info/METADATA"):
        fields = dict(re.findall(r"^(Name|Version): (.*?)\r?$", metadata.read_text(), re.M))
        out[normalise(fields["Name"])] = fields["Version"]
    return out


def test_packages_in_the_image_are_its_lock_group_and_the_gates_versions(
    clean_build: dict[str, Any], name: str
) -> None:
    image = definition.load(ROOT, name)
    app = next(layer for layer in clean_build[name]["layers"] if layer["role"] == "app")
    in_image = dists_in_layer(Path(clean_build[name]["layout"]) / "blobs/sha256" / app["digest"][7:])
    requirements = parse_requirements((ROOT / image.requirements).read_text())
    lock_group = {normalise(r.name): r.version for r in requirements if r.applies()}
    assert in_image == lock_group
    assert all(normalise(r.name) not in in_image for r in requirements if not r.applies())  # win32-only
    # The gates run the workloads in .devenv/venvs/<group> (the same export, installed by pip):
    # the same distributions at the same versions, apart from the venv's own pip (and the
    # setuptools `python -m venv` puts in, where the group does not lock one).
    in_venv = dists_in_venv(DEVENV / "venvs" / image.lock_group)
    own = {"pip"} | ({"setuptools"} - set(lock_group))
    assert {k: v for k, v in in_venv.items() if k not in own} == in_image


def test_image_files_are_normalised(clean_build: dict[str, Any], name: str) -> None:
    built = Path(clean_build[name]["layout"])
    _, manifest, config = layout.read_manifest(built)
    assert config["created"] == "2026-01-01T00:00:00Z"
    assert [h["created_by"].split(":")[0] for h in config["history"]] == ["base", "app", "files"]
    files = manifest["layers"][-1]["digest"]
    members = list(layout.layer_members(built, files))
    assert {m.mtime for _, m, _ in members} == {1767225600}
    uid = int(config["config"]["User"].split(":")[0])
    home = next(e.split("=", 1)[1] for e in config["config"]["Env"] if e.startswith("HOME="))
    assert {(n, m.uid) for n, m, _ in members if m.uid != 0} == {(home.lstrip("/"), uid)}
    if name == "spark":
        jars = {n.rsplit("/", 1)[-1]: h.hex() for n, m, h in members if n.startswith("opt/spark-jars/")}
        pinned = dict(
            reversed(line.split())
            for line in (ROOT / "lock/spark-jars.lock").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        )
        assert jars == pinned
