"""The locked distributions of an image as wheels: downloaded once into a store keyed by their
sha256 (checked against the lock), and an sdist-only package (pyspark) built once into a wheel by
the pinned setuptools."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from parity.errors import ParityError
from parity.oci.common import Say, cache_dir, run
from parity.oci.definition import ImageDef
from parity.oci.requirements import Requirement
from parity.toolcheck import sha256_file


def _build_key(root: Path, image: ImageDef) -> str:
    return sha256_file(root / image.common.build_requirements)[:16]


def _build_python(root: Path, image: ImageDef, say: Say) -> Path:
    """A venv holding only the pinned build requirements (pip, setuptools), for sdist -> wheel."""
    requirements = root / image.common.build_requirements
    env_dir = cache_dir(root) / f"buildenv-{_build_key(root, image)}"
    python = env_dir / "bin" / "python"
    if not python.exists():
        say("build venv: pip + setuptools from " + image.common.build_requirements)
        # A name of its own: another build (this checkout's or another's) may make one beside it.
        scratch = Path(tempfile.mkdtemp(prefix=f".{env_dir.name}.", dir=env_dir.parent))
        run([sys.executable, "-m", "venv", "--without-pip", str(scratch)], "build venv")
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(scratch / "bin" / "python"),
                "install",
                "-q",
                "--no-deps",
                "--require-hashes",
                "--disable-pip-version-check",
                "-r",
                str(requirements),
            ],
            "build venv",
        )
        try:  # venv scripts hold the scratch path; only `python -m` is used
            scratch.rename(env_dir)
        except OSError:  # another build made it first: use theirs
            shutil.rmtree(scratch, ignore_errors=True)
    return python


def wheelhouse(
    root: Path, image: ImageDef, requirements: list[Requirement], say: Say
) -> dict[str, tuple[Path, bool]]:
    """name -> (wheel, built from its sdist) for every requirement, each downloaded file checked
    once against the lock's hashes (the download store keeps each file in a folder named by it).

    Wheels come straight from the registry; a package published only as an sdist (pyspark) is
    built once into a wheel by the pinned setuptools, from the hash-checked sdist.
    """
    store = cache_dir(root) / "downloads"
    built = cache_dir(root) / "built"
    store.mkdir(parents=True, exist_ok=True)
    built.mkdir(parents=True, exist_ok=True)

    def find(req: Requirement) -> Path | None:
        for sha in sorted(req.hashes):
            hits = list((store / sha).glob("*")) if (store / sha).is_dir() else []
            if hits:
                return hits[0]
        return None

    missing = [r for r in requirements if find(r) is None]
    if missing:
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=cache_dir(root)) as tmp:
            req_file = Path(tmp) / "requirements.txt"
            req_file.write_text("".join(r.pinned() + "\n" for r in missing))
            run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-deps",
                    "--require-hashes",
                    "--disable-pip-version-check",
                    "-d",
                    str(Path(tmp) / "files"),
                    "-r",
                    str(req_file),
                ],
                f"image {image.name}: download",
            )
            for path in (Path(tmp) / "files").iterdir():
                sha = sha256_file(path)
                (store / sha).mkdir(exist_ok=True)
                shutil.move(str(path), store / sha / path.name)
        say(f"downloaded {len(missing)} locked distribution(s) in {time.monotonic() - started:.1f}s")
    out: dict[str, tuple[Path, bool]] = {}
    for req in requirements:
        found = find(req)
        if found is None or sha256_file(found) != found.parent.name:
            raise ParityError(
                f"{req.name}=={req.version}",
                "no file matching the locked hashes",
                "Check the registry and the lock",
            )
        if found.suffix == ".whl":
            out[req.name] = (found, False)
            continue
        # The wheel is made by the sdist and by the pinned build requirements.
        target = built / f"{found.parent.name}-{_build_key(root, image)}"
        wheels = list(target.glob("*.whl")) if target.is_dir() else []
        if not wheels:
            started = time.monotonic()
            python = _build_python(root, image, say)
            scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=built))
            run(
                [
                    str(python),
                    "-m",
                    "pip",
                    "wheel",
                    "-q",
                    "--no-deps",
                    "--no-build-isolation",
                    "--disable-pip-version-check",
                    "--no-cache-dir",
                    "-w",
                    str(scratch),
                    str(found),
                ],
                f"{req.name}=={req.version}: build wheel",
                env={**os.environ, "SOURCE_DATE_EPOCH": str(image.common.source_date_epoch)},
            )
            try:
                scratch.rename(target)
            except OSError:  # another build made it first
                shutil.rmtree(scratch, ignore_errors=True)
            wheels = list(target.glob("*.whl"))
            say(f"built {wheels[0].name} from its locked sdist in {time.monotonic() - started:.1f}s")
        out[req.name] = (wheels[0], True)
    return out
