"""The base root filesystem: Debian by mmdebstrap (SOURCE_DATE_EPOCH), its package versions and its
tarball's sha256 pinned in lock/images-base.lock.json. A mirror that moved is a visible lock change
(`BaseMoved`, exit 1), never a silently different image."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path
from typing import Any

from parity import loaders
from parity.errors import FINDINGS, BadInput, ParityError
from parity.oci.common import Say, cache_dir, run
from parity.oci.definition import ImageDef
from parity.output import write_atomic
from parity.toolcheck import sha256_file

BASE_LOCK = Path("lock/images-base.lock.json")

# Bases re-made by mmdebstrap (or whose cached tarball was hashed) in this process: a fresh build
# of several images that share a base proves it reproducible once, not once per image.
_REMADE: set[str] = set()

_RELOCKED: set[str] = set()  # base keys `--update-base` pinned anew in this process
_LOCK_WRITE = threading.Lock()


class BaseMoved(ParityError):
    exit_code = FINDINGS


def read_base_lock(root: Path) -> dict[str, Any]:
    """lock/images-base.lock.json: {"bases": {packages: {"sha256", "packages", ...}}}."""
    if not (root / BASE_LOCK).is_file():
        return {"bases": {}}
    text = loaders.read_text(root / BASE_LOCK, str(BASE_LOCK))
    document = loaders.Fields(loaders.parse_json(text, str(BASE_LOCK)), str(BASE_LOCK), text)
    for entry in document.tables("bases").values():
        entry.string("sha256")
        entry.get("packages", dict, {})
    return dict(document.data)


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
            with _LOCK_WRITE:  # bases are made side by side: one read-modify-write at a time
                lock = read_base_lock(root)
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
