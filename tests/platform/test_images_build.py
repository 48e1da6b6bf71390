"""The four workload images, built for real (mmdebstrap, chroot, normalised layers): a clean build
reproduces the digests in lock/images.lock.json bit for bit, the packages inside each image are its
lock group exactly, and a changed locked package changes exactly that image's digest. Running them
is tests/platform/test_images_run.py (another worker, beside this one)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from parity.oci import definition, layout
from parity.oci.requirements import parse_requirements
from tests.conftest import DEVENV, ROOT

pytestmark = pytest.mark.integration

IMAGES = ["airflow", "dbt", "spark", "streaming"]
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


@pytest.fixture(scope="module")
def clean_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every image from scratch (no layer cache read, bases re-made by mmdebstrap): a build
    independent of the one that made the lock, on another checkout."""
    out = tmp_path_factory.mktemp("clean")
    done = parity("images", "build", "--no-cache", "--out", str(out), "--format", "json")
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return {image["name"]: image for image in result["images"]}


@pytest.mark.timeout(1500)
def test_two_clean_builds_give_the_locked_digests(clean_build: dict[str, Any]) -> None:
    # The lock was recorded by a clean build on another checkout; this one, from scratch on this
    # checkout, agrees image by image. (`parity images verify`, a further clean build that keeps
    # nothing, is exercised by the changed-package test below.)
    assert {name: image["digest"] for name, image in clean_build.items()} == locked()
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


@pytest.mark.parametrize("name", IMAGES)
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


@pytest.mark.parametrize("name", IMAGES)
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


def _pip_download(spec: str, into: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", spec, "-d", str(into)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(into.iterdir())


def test_one_changed_package_changes_exactly_that_image(
    repo_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The locked build first (cached layers: seconds), so verify can name the differing file.
    done = parity("images", "build", repo=repo_copy)
    assert done.returncode == 0, done.stderr[-3000:]
    wheel = _pip_download("jmespath==1.0.1", tmp_path / "dl")
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    requirements = repo_copy / "lock/requirements/streaming.txt"
    text = requirements.read_text()
    text = re.sub(
        r"jmespath==1\.1\.0 \\\n(    --hash=sha256:[0-9a-f]{64}( \\)?\n)+",
        f"jmespath==1.0.1 \\\n    --hash=sha256:{sha}\n",
        text,
    )
    assert "jmespath==1.0.1" in text
    requirements.write_text(text)

    check = parity("check", repo=repo_copy)
    assert check.returncode == 1
    assert "image-lock-fresh" in check.stdout + check.stderr
    assert "lock/images.lock.json#streaming" in check.stdout + check.stderr
    assert "#airflow" not in check.stdout + check.stderr

    verify = parity("images", "verify", "streaming", repo=repo_copy)
    assert verify.returncode == 1
    assert re.search(r"streaming: rebuilt sha256:\w+ != locked sha256:\w+: layer 1 \(", verify.stderr), (
        verify.stderr
    )
    assert "jmespath" in verify.stderr.split("layer 1 (", 1)[1], verify.stderr

    built = parity("images", "build", "--format", "json", repo=repo_copy)
    assert built.returncode == 0, built.stderr[-3000:]
    digests = {image["name"]: image["digest"] for image in json.loads(built.stdout)["images"]}
    before = locked(repo_copy)
    assert [name for name in IMAGES if digests[name] != before[name]] == ["streaming"]

    relocked = parity("images", "build", "--lock", "streaming", repo=repo_copy)
    assert relocked.returncode == 0, relocked.stderr[-3000:]
    assert locked(repo_copy) == {**before, "streaming": digests["streaming"]}
    component = (repo_copy / "k8s/components/release-images/kustomization.yaml").read_text()
    assert digests["streaming"] in component
    assert parity("check", repo=repo_copy).returncode == 0


def test_a_moved_mirror_is_a_visible_lock_change(repo_copy: Path) -> None:
    lock_path = repo_copy / "lock/images-base.lock.json"
    lock = json.loads(lock_path.read_text())
    base = lock["bases"]["python3"]
    real = base["sha256"]
    base["sha256"] = "f" * 64
    base["packages"]["libssl3"] = "3.0.0-old"
    lock_path.write_text(json.dumps(lock))
    done = parity("images", "build", "streaming", repo=repo_copy)
    assert done.returncode == 1
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("parity: base python3: mmdebstrap gave sha256 " + real[:12])
    assert "libssl3 3.0.0-old -> " in line and "parity images build --update-base" in line
    assert json.loads(lock_path.read_text())["bases"]["python3"]["sha256"] == "f" * 64  # nothing rewritten
