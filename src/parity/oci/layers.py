"""The three layers of an image: base (the root filesystem), app (/opt/venv installed by the image's
own Python in a chroot) and files (sources, jars, the user). Each is cached under .devenv/images/
layers by the hash of exactly what makes it. A build may read the cache and write to it (`USE`),
only write to it (`REFRESH`, `--no-cache`: nothing is reused, and what it makes serves later
builds), or neither (`NONE`: verify, whose rebuild must not replace what the cache holds)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path
from typing import NamedTuple

from parity import loaders
from parity.devenv import locate
from parity.errors import ParityError
from parity.oci import definition, layout
from parity.oci.common import BUILDER, Say, cache_dir, run
from parity.oci.definition import VENV, ImageDef
from parity.oci.requirements import parse_requirements
from parity.oci.wheels import wheelhouse
from parity.output import write_atomic
from parity.toolcheck import sha256_file

INBOX = "/parity-wheels"  # inside the chroot only, removed with it

CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join((BUILDER, *parts)).encode()).hexdigest()


class Cache(NamedTuple):
    read: bool
    write: bool


USE, REFRESH, NONE = Cache(True, True), Cache(False, True), Cache(False, False)


def _cached_layer(root: Path, key: str, cache: Cache) -> tuple[layout.Blob, Path] | None:
    meta = cache_dir(root) / "layers" / f"{key}.json"
    blob = meta.with_suffix(".tar.gz")
    if not cache.read or not meta.is_file() or not blob.is_file():
        return None
    data = json.loads(meta.read_text())
    return layout.Blob(data["digest"], data["size"], data["diff_id"]), blob


def _layer_target(root: Path, key: str, cache: Cache, scratch: Path) -> Path:
    if not cache.write:
        return scratch / f"{key}.tar.gz"
    target = cache_dir(root) / "layers" / f"{key}.tar.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _remember(path: Path, blob: layout.Blob) -> None:
    meta = path.with_name(path.name.removesuffix(".tar.gz") + ".json")
    write_atomic(meta, json.dumps(blob.as_json()))


def _extract(tarball: Path, rootfs: Path) -> None:
    rootfs.mkdir(parents=True)
    run(["tar", "-xf", str(tarball), "-C", str(rootfs), "--numeric-owner"], "extract base")


def app_layer(
    root: Path, image: ImageDef, base: Path, base_sha: str, scratch: Path, cache: Cache, say: Say
) -> tuple[layout.Blob, Path, int]:
    """/opt/venv with the lock group installed by the image's Python in a chroot of the base."""
    requirements_text = loaders.read_text(root / image.requirements, str(image.requirements))
    requirements = [r for r in parse_requirements(requirements_text, str(image.requirements)) if r.applies()]
    build_source = str(image.common.build_requirements)
    build_reqs = loaders.read_text(root / image.common.build_requirements, build_source)
    key = _key("app", base_sha, requirements_text, build_reqs, str(image.common.source_date_epoch))
    cached = _cached_layer(root, key, cache)
    if cached:
        say(f"app layer: {len(requirements)} packages (cached)")
        return *cached, len(requirements)
    wheels = wheelhouse(root, image, requirements, say)
    pip = [p for p in parse_requirements(build_reqs, build_source) if p.name == "pip"]
    pip_wheel = wheelhouse(root, image, pip, say)["pip"][0]
    started = time.monotonic()
    rootfs = scratch / "app-rootfs"
    _extract(base, rootfs)
    inbox = rootfs / INBOX.lstrip("/")
    inbox.mkdir(parents=True)
    for path in [*(wheel for wheel, _ in wheels.values()), pip_wheel]:
        try:
            os.link(path, inbox / path.name)
        except OSError:
            shutil.copyfile(path, inbox / path.name)
    from_wheel = [r for r in requirements if wheels[r.name][1]]
    hashed = [r for r in requirements if r not in from_wheel]
    (inbox / "hashed.txt").write_text("".join(r.pinned() + "\n" for r in hashed))
    env = {
        "PATH": f"{VENV}/bin:/usr/bin:/bin",
        "HOME": "/nonexistent",
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "SOURCE_DATE_EPOCH": str(image.common.source_date_epoch),
        "PIP_NO_INPUT": "1",
        # Nothing may write a timestamp-based .pyc on the way (site imports .pth hooks such as
        # setuptools' _distutils_hack at every start); compileall -f below writes them all.
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    pip_cmd = [
        CHROOT,
        str(rootfs),
        f"{VENV}/bin/python",
        f"{INBOX}/{pip_wheel.name}/pip",
        "install",
        "-q",
        "--no-index",
        "--find-links",
        INBOX,
        "--no-deps",
        "--no-compile",
        "--no-cache-dir",
        "--disable-pip-version-check",
    ]
    run([CHROOT, str(rootfs), "/usr/bin/python3", "-m", "venv", "--without-pip", VENV], "app layer", env=env)
    run(
        [*pip_cmd, "--require-hashes", "-r", f"{INBOX}/hashed.txt"],
        f"image {image.name}: pip",
        env=env,
    )
    if from_wheel:  # wheels we built from hash-checked sdists (their own hash is not in the lock)
        run([*pip_cmd, *(f"{r.name}=={r.version}" for r in from_wheel)], f"image {image.name}: pip", env=env)
    site = f"{VENV}/lib/python3.11/site-packages"
    subprocess.run(  # files meant not to compile (templates, py2 test data) make it exit 1: harmless
        [
            CHROOT,
            str(rootfs),
            f"{VENV}/bin/python",
            "-m",
            "compileall",
            "-f",
            "-q",
            "-q",
            "-j",
            "2",
            "--invalidation-mode",
            "unchecked-hash",
            site,
        ],
        env=env,
        capture_output=True,
        check=False,
    )
    venv_root = rootfs / VENV.lstrip("/")
    target = _layer_target(root, key, cache, scratch)
    prefix = VENV.lstrip("/")
    entries = [("opt", rootfs / "opt"), (prefix, venv_root), *layout.walk(venv_root, prefix + "/")]
    blob = layout.write_layer(entries, target, image.common.source_date_epoch)
    _remember(target, blob)
    shutil.rmtree(rootfs)
    say(
        f"app layer: {len(requirements)} packages installed in the image's Python, "
        f"{time.monotonic() - started:.1f}s"
    )
    return blob, target, len(requirements)


def _base_files(base: Path, *names: str) -> list[str]:
    """The text of a few files of the base tarball, in one pass over it."""
    wanted = {f"./{name}": "" for name in names}
    with tarfile.open(base, mode="r|") as tar:
        for member in tar:
            if member.name in wanted:
                handle = tar.extractfile(member)
                wanted[member.name] = handle.read().decode() if handle else ""
    return list(wanted.values())


def jar_files(root: Path, image: ImageDef) -> list[tuple[str, Path, str]]:
    """(file name, path, sha256) of the locked jars, each checked once against the lock."""
    if not image.jars:
        return []
    source = locate(root) / image.jars_dir
    out = []
    for name, sha in sorted(loaders.load_checksums(root / image.jars, str(image.jars)).items()):
        path = source / name
        if not path.is_file() or sha256_file(path) != sha:
            raise ParityError(
                f"image {image.name}",
                f"{path} is missing or differs from {image.jars}",
                "Run devenv/bootstrap",
            )
        out.append((name, path, sha))
    return out


def files_layer(
    root: Path, image: ImageDef, base: Path, base_sha: str, scratch: Path, cache: Cache, say: Say
) -> tuple[layout.Blob, Path]:
    copies = definition.copied_files(root, image)
    jars = jar_files(root, image)
    parts = ["files", base_sha, (root / image.definition).read_text()]
    parts += [
        f"{src}>{dst}:{sha256_file(root / src)}:{os.access(root / src, os.X_OK)}" for src, dst in copies
    ]
    parts += [f"jar:{name}:{sha}" for name, _, sha in jars]
    key = _key(*parts)
    cached = _cached_layer(root, key, cache)
    if cached:
        say(f"files layer: {len(copies)} files, {len(jars)} jars (cached)")
        return cached
    started = time.monotonic()
    stage = scratch / "files"
    stage.mkdir()
    for src, dst in copies:
        target = stage / dst.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / src, target)
        target.chmod(0o755 if os.access(root / src, os.X_OK) else 0o644)
    for name, path, _ in jars:
        target = stage / "opt" / "spark-jars" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copyfile(path, target)
    user = image.user
    etc = stage / "etc"
    etc.mkdir()
    passwd, group = _base_files(base, "etc/passwd", "etc/group")
    (etc / "passwd").write_text(passwd + f"{user.name}:x:{user.uid}:{user.uid}::{user.home}:/bin/sh\n")
    (etc / "group").write_text(group + f"{user.name}:x:{user.uid}:\n")
    home = stage / user.home.lstrip("/")
    home.mkdir(parents=True, exist_ok=True)
    for path in [stage, *stage.rglob("*")]:  # modes independent of the umask that made them
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
        elif path.is_file():
            path.chmod(0o755 if path.stat().st_mode & 0o111 else 0o644)
    home_name = user.home.lstrip("/")

    def owner(name: str) -> tuple[int, int]:
        return (user.uid, user.uid) if name == home_name else (0, 0)

    target = _layer_target(root, key, cache, scratch)
    blob = layout.write_layer(layout.walk(stage), target, image.common.source_date_epoch, owner)
    _remember(target, blob)
    shutil.rmtree(stage)
    say(f"files layer: {len(copies)} files, {len(jars)} jars, {time.monotonic() - started:.1f}s")
    return blob, target


def base_layer(
    root: Path, base: Path, base_sha: str, scratch: Path, cache: Cache
) -> tuple[layout.Blob, Path]:
    key = _key("base", base_sha)
    cached = _cached_layer(root, key, cache)
    if cached:
        return cached
    target = _layer_target(root, key, cache, scratch)
    blob = layout.compress_tar(base, target)
    _remember(target, blob)
    return blob, target
