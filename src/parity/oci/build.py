"""Build the workload images bit-for-bit reproducibly from locked inputs only, without Docker.

An image is three layers:
  0 base   the Debian root filesystem from mmdebstrap (SOURCE_DATE_EPOCH), its package versions
           and its tarball's sha256 pinned in lock/images-base.lock.json
  1 app    /opt/venv: the image's lock group, hash-checked wheels installed by the image's own
           Python in a chroot, byte-compiled with hash-based .pyc (`unchecked-hash`)
  2 files  the sources the definition copies in, the locked jars, the image's user
Layers are normalised tars (sorted, numeric root ownership, every time the epoch) gzipped with a
zero header time; the layout is written with fixed `created` times. Same inputs, same digest.

Each layer is cached under .devenv/images/layers by the hash of exactly what makes it, so an
unchanged image rebuilds in seconds; `fresh=True` (verify, `--no-cache`) uses no cache at all
except hash-checked downloads.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity.errors import FINDINGS, BadInput, ParityError
from parity.kustomize import devenv
from parity.oci import definition, layout
from parity.oci.definition import VENV, ImageDef
from parity.output import write_atomic
from parity.toolcheck import read_checksums, sha256_file

BUILDER = "parity-oci/3"  # bump when the way layers are made changes: every cache key changes
BASE_LOCK = Path("lock/images-base.lock.json")
OUT = Path(".parity/images")
INBOX = "/parity-wheels"  # inside the chroot only, removed with it
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"


# Bases re-made by mmdebstrap (or whose cached tarball was hashed) in this process: a fresh build
# of several images that share a base proves it reproducible once, not once per image.
_REMADE: set[str] = set()
_RELOCKED: set[str] = set()  # base keys `--update-base` pinned anew in this process


class BaseMoved(ParityError):
    exit_code = FINDINGS


@dataclass(frozen=True)
class Built:
    name: str
    digest: str
    layout: Path
    layers: list[dict[str, Any]]
    seconds: float
    build_input_hash: str

    @property
    def size(self) -> int:
        return sum(int(layer["size"]) for layer in self.layers)


Say = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def run(cmd: list[str], what: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        tail = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise ParityError(
            what, f"{Path(cmd[0]).name} exited {done.returncode}: {tail[:400]}", "See the output above"
        )
    return done


def cache_dir(root: Path) -> Path:
    return devenv(root) / "images"


# --- base root filesystem -----------------------------------------------------------------------


def read_base_lock(root: Path) -> dict[str, Any]:
    path = root / BASE_LOCK
    if not path.is_file():
        return {"bases": {}}
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise BadInput(str(BASE_LOCK), f"not valid JSON (line {exc.lineno})", "Restore it from git") from None
    return data


def dpkg_packages(tarball: Path) -> dict[str, str]:
    """name -> version of every installed package in a root filesystem tarball."""
    with tarfile.open(tarball) as tar:
        member = tar.extractfile("./var/lib/dpkg/status")
        text = member.read().decode() if member else ""
    out = {}
    for stanza in text.split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z-]+): (.*)$", stanza, re.M))
        if fields.get("Status", "").endswith(" installed") and "Package" in fields:
            arch = fields.get("Architecture", "all")
            name = fields["Package"] + ("" if arch in {"all", "amd64"} else f":{arch}")
            out[name] = fields["Version"]
    return dict(sorted(out.items()))


def mmdebstrap(image: ImageDef, out: Path) -> None:
    common = image.common
    cmd = [
        "mmdebstrap",
        f"--variant={common.variant}",
        f"--include={','.join(image.packages)}",
        "--mode=root",
        "--format=tar",
        # ca-certificates-java stamps each cacerts entry with the install time: normalise it.
        f'--customize-hook={shlex.quote(sys.executable)} -m parity.oci.jks "$1/etc/ssl/certs/java/cacerts" '
        f"{common.source_date_epoch}",
        common.suite,
        str(out),
        *common.apt_sources,
    ]
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(common.source_date_epoch), "LC_ALL": "C.UTF-8"}
    if shutil.which("mmdebstrap") is None:
        raise ParityError(
            "mmdebstrap", "not installed", "Run devenv/bootstrap (it installs the pinned Debian tools)"
        )
    run(cmd, f"base {image.base_key}", env=env)


def base_tarball(
    root: Path, image: ImageDef, say: Say, fresh: bool = False, relock: bool = False
) -> tuple[Path, str]:
    """The image's base root filesystem tarball and its sha256, equal to the lock's or an error."""
    lock = read_base_lock(root)
    entry = lock["bases"].get(image.base_key)
    if entry is None and not relock:
        raise BadInput(
            f"image {image.name}",
            f"no base for Debian packages {image.base_key} in {BASE_LOCK}",
            "Run `parity images build --update-base` to make and lock it",
        )
    store = cache_dir(root) / "bases"
    store.mkdir(parents=True, exist_ok=True)
    if image.base_key in _RELOCKED or (
        entry is not None and not relock and (not fresh or entry["sha256"] in _REMADE)
    ):
        entry = read_base_lock(root)["bases"][image.base_key] if image.base_key in _RELOCKED else entry
        cached = store / f"{entry['sha256']}.tar"
        if cached.is_file() and (entry["sha256"] in _REMADE or sha256_file(cached) == entry["sha256"]):
            _REMADE.add(entry["sha256"])  # checked once per process
            return cached, entry["sha256"]
    started = time.monotonic()
    tmp = store / f".{image.name}.{os.getpid()}.tar"
    try:
        mmdebstrap(image, tmp)
        sha = sha256_file(tmp)
        packages = dpkg_packages(tmp)
        if relock:
            lock["bases"][image.base_key] = {
                "include": list(image.packages),
                "sha256": sha,
                "size": tmp.stat().st_size,
                "packages": packages,
                "mmdebstrap": mmdebstrap_version(),
            }
            write_atomic(root / BASE_LOCK, json.dumps(lock, indent=2, sort_keys=True) + "\n")
            _RELOCKED.add(image.base_key)
        elif sha != entry["sha256"]:
            raise BaseMoved(
                f"base {image.base_key}",
                f"mmdebstrap gave sha256 {sha[:12]}... but {BASE_LOCK} pins {entry['sha256'][:12]}... "
                f"({_package_changes(entry.get('packages', {}), packages)})",
                "The Debian mirror moved: review the change, then `parity images build --update-base` "
                "and commit the new lock",
            )
        tmp.replace(store / f"{sha}.tar")
        _REMADE.add(sha)
    finally:
        tmp.unlink(missing_ok=True)
    say(f"base {image.base_key}: mmdebstrap {time.monotonic() - started:.1f}s, sha256 {sha[:12]}")
    return store / f"{sha}.tar", sha


def _package_changes(locked: dict[str, str], now: dict[str, str]) -> str:
    changes = [
        f"{name} {locked.get(name, '-')} -> {now.get(name, '-')}"
        for name in sorted(set(locked) | set(now))
        if locked.get(name) != now.get(name)
    ]
    if not changes:
        return "same package versions; the tarball itself differs"
    more = f" and {len(changes) - 5} more" if len(changes) > 5 else ""
    return "; ".join(changes[:5]) + more


def mmdebstrap_version() -> str:
    done = subprocess.run(["mmdebstrap", "--version"], capture_output=True, text=True)
    return done.stdout.strip().split()[-1] if done.returncode == 0 and done.stdout.strip() else "unknown"


# --- locked Python packages ---------------------------------------------------------------------


# The interpreter every image runs (Debian bookworm's python3), for PEP 508 markers.
IMAGE_PYTHON = {
    "implementation_name": "cpython",
    "implementation_version": "3.11.2",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "platform_system": "Linux",
    "python_full_version": "3.11.2",
    "python_version": "3.11",
    "sys_platform": "linux",
}


@dataclass(frozen=True)
class Requirement:
    name: str
    version: str
    hashes: frozenset[str]
    marker: str = ""

    def applies(self) -> bool:
        """Whether the image's Python installs it (`; sys_platform == "win32"` ones it does not)."""
        if not self.marker:
            return True
        from packaging.markers import Marker

        return Marker(self.marker).evaluate(dict(IMAGE_PYTHON))

    def pinned(self) -> str:
        """The requirement line pip takes with --require-hashes (marker already evaluated)."""
        return f"{self.name}=={self.version} " + " ".join(f"--hash=sha256:{h}" for h in sorted(self.hashes))


def parse_requirements(text: str) -> list[Requirement]:
    out = []
    for logical in text.replace("\\\n", " ").splitlines():
        if logical.lstrip().startswith("#"):
            continue
        match = re.match(
            r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;]+)\s*(;\s*(.*?))?\s*(--hash|$)", logical
        )
        if not match:
            continue
        hashes = frozenset(re.findall(r"--hash=sha256:([0-9a-f]{64})", logical))
        if not hashes:
            raise BadInput("requirements", f"{match.group(1)} has no --hash", "Export the lock with hashes")
        name = match.group(1).lower().replace("_", "-")
        out.append(Requirement(name, match.group(3), hashes, (match.group(5) or "").strip()))
    return out


def _build_python(root: Path, image: ImageDef, say: Say) -> Path:
    """A venv holding only the pinned build requirements (pip, setuptools), for sdist -> wheel."""
    requirements = root / image.common.build_requirements
    key = sha256_file(requirements)[:16]
    env_dir = cache_dir(root) / f"buildenv-{key}"
    python = env_dir / "bin" / "python"
    if not python.exists():
        say("build venv: pip + setuptools from " + image.common.build_requirements)
        scratch = env_dir.with_name(env_dir.name + ".tmp")
        shutil.rmtree(scratch, ignore_errors=True)
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
        scratch.replace(env_dir)  # venv scripts hold the scratch path; only `python -m` is used
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
        target = built / found.parent.name
        wheels = list(target.glob("*.whl")) if target.is_dir() else []
        if not wheels:
            started = time.monotonic()
            python = _build_python(root, image, say)
            scratch = target.with_name(target.name + ".tmp")
            shutil.rmtree(scratch, ignore_errors=True)
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
            shutil.rmtree(target, ignore_errors=True)
            scratch.replace(target)
            wheels = list(target.glob("*.whl"))
            say(f"built {wheels[0].name} from its locked sdist in {time.monotonic() - started:.1f}s")
        out[req.name] = (wheels[0], True)
    return out


# --- layers -------------------------------------------------------------------------------------


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join((BUILDER, *parts)).encode()).hexdigest()


def _cached_layer(root: Path, key: str, fresh: bool) -> tuple[layout.Blob, Path] | None:
    meta = cache_dir(root) / "layers" / f"{key}.json"
    blob = meta.with_suffix(".tar.gz")
    if fresh or not meta.is_file() or not blob.is_file():
        return None
    data = json.loads(meta.read_text())
    return layout.Blob(data["digest"], data["size"], data["diff_id"]), blob


def _layer_target(root: Path, key: str, fresh: bool, scratch: Path) -> Path:
    if fresh:
        return scratch / f"{key}.tar.gz"
    target = cache_dir(root) / "layers" / f"{key}.tar.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _remember(path: Path, blob: layout.Blob) -> None:
    meta = path.with_name(path.name.removesuffix(".tar.gz") + ".json")
    tmp = meta.with_name(f".{meta.name}.tmp")
    tmp.write_text(json.dumps(blob.as_json()))
    tmp.replace(meta)


def _extract(tarball: Path, rootfs: Path) -> None:
    rootfs.mkdir(parents=True)
    run(["tar", "-xf", str(tarball), "-C", str(rootfs), "--numeric-owner"], "extract base")


def app_layer(
    root: Path, image: ImageDef, base: Path, base_sha: str, scratch: Path, fresh: bool, say: Say
) -> tuple[layout.Blob, Path, int]:
    """/opt/venv with the lock group installed by the image's Python in a chroot of the base."""
    requirements_text = (root / image.requirements).read_text()
    requirements = [r for r in parse_requirements(requirements_text) if r.applies()]
    build_reqs = (root / image.common.build_requirements).read_text()
    key = _key("app", base_sha, requirements_text, build_reqs, str(image.common.source_date_epoch))
    cached = _cached_layer(root, key, fresh)
    if cached:
        say(f"app layer: {len(requirements)} packages (cached)")
        return *cached, len(requirements)
    wheels = wheelhouse(root, image, requirements, say)
    pip = [p for p in parse_requirements(build_reqs) if p.name == "pip"]
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
    target = _layer_target(root, key, fresh, scratch)
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
    source = devenv(root) / image.jars_dir
    out = []
    for name, sha in sorted(read_checksums(root / image.jars).items()):
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
    root: Path, image: ImageDef, base: Path, base_sha: str, scratch: Path, fresh: bool, say: Say
) -> tuple[layout.Blob, Path]:
    copies = definition.copied_files(root, image)
    jars = jar_files(root, image)
    parts = ["files", base_sha, (root / image.definition).read_text()]
    parts += [
        f"{src}>{dst}:{sha256_file(root / src)}:{os.access(root / src, os.X_OK)}" for src, dst in copies
    ]
    parts += [f"jar:{name}:{sha}" for name, _, sha in jars]
    key = _key(*parts)
    cached = _cached_layer(root, key, fresh)
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

    target = _layer_target(root, key, fresh, scratch)
    blob = layout.write_layer(layout.walk(stage), target, image.common.source_date_epoch, owner)
    _remember(target, blob)
    shutil.rmtree(stage)
    say(f"files layer: {len(copies)} files, {len(jars)} jars, {time.monotonic() - started:.1f}s")
    return blob, target


def base_layer(root: Path, base: Path, base_sha: str, scratch: Path, fresh: bool) -> tuple[layout.Blob, Path]:
    key = _key("base", base_sha)
    cached = _cached_layer(root, key, fresh)
    if cached:
        return cached
    target = _layer_target(root, key, fresh, scratch)
    blob = layout.compress_tar(base, target)
    _remember(target, blob)
    return blob, target


# --- images -------------------------------------------------------------------------------------


def input_hash(root: Path, image: ImageDef) -> str:
    """Hash of every input that decides the image: the files it reads and its locked base."""
    digest = hashlib.sha256(BUILDER.encode())
    for relative in definition.input_files(root, image):
        digest.update(relative.encode() + b"\0" + bytes.fromhex(sha256_file(root / relative)))
    base = read_base_lock(root)["bases"].get(image.base_key, {})
    digest.update(f"base:{image.base_key}:{base.get('sha256', 'unlocked')}".encode())
    return "sha256:" + digest.hexdigest()


def build(
    root: Path,
    image: ImageDef,
    out: Path,
    *,
    fresh: bool = False,
    relock_base: bool = False,
    say: Say = _quiet,
) -> Built:
    """Build one image into the OCI layout `out`."""
    started = time.monotonic()
    cache_dir(root).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"build-{image.name}-", dir=cache_dir(root)) as tmp:
        scratch = Path(tmp)
        base, base_sha = base_tarball(root, image, say, fresh=fresh, relock=relock_base)
        layers = []
        blob, path = base_layer(root, base, base_sha, scratch, fresh)
        layers.append(layout.Layer(blob, path, f"base: mmdebstrap {image.common.suite} {image.base_key}"))
        blob, path, count = app_layer(root, image, base, base_sha, scratch, fresh, say)
        layers.append(layout.Layer(blob, path, f"app: {VENV} from {image.requirements} ({count} packages)"))
        blob, path = files_layer(root, image, base, base_sha, scratch, fresh, say)
        layers.append(layout.Layer(blob, path, f"files: sources, jars and user from {image.definition}"))
        digest = layout.write_layout(out, image.name, image.config(), layers, image.common.created)
    return Built(
        name=image.name,
        digest=digest,
        layout=out,
        layers=[
            {
                "digest": layer.blob.digest,
                "diff_id": layer.blob.diff_id,
                "size": layer.blob.size,
                "role": role,
            }
            for layer, role in zip(layers, ("base", "app", "files"), strict=True)
        ],
        seconds=time.monotonic() - started,
        build_input_hash=input_hash(root, image),
    )
