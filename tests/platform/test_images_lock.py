"""Lock changes made visible: a changed locked package changes exactly that image's digest (and
`parity images verify` names the differing layer and file), and a Debian mirror that moved stops
the build naming the changed packages, rewriting nothing."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.platform.images_build import locked, parity

pytestmark = pytest.mark.integration

IMAGES = ["airflow", "dbt", "spark", "streaming"]


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
