"""Deterministic layer tars and OCI image layouts.

A layer tar is normalised the way `tar --sort=name --format=posix --mtime=@EPOCH --owner=0
--group=0 --numeric-owner` would write it, without atime/ctime: entries sorted by path, every
time the epoch, no user or group names, ownership numeric. Compression is gzip with a zero
header time and a fixed level, so the same tree always gives the same blob and the same digest.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import stat
import tarfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from parity.output import temporary_beside

LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
GZIP_LEVEL = 6
CHUNK = 1 << 20


@dataclass(frozen=True)
class Blob:
    digest: str  # sha256:<hex> of the stored (compressed) bytes
    size: int
    diff_id: str = ""  # layers only: sha256 of the uncompressed tar

    def as_json(self) -> dict[str, Any]:
        return {"digest": self.digest, "size": self.size, "diff_id": self.diff_id}


class _Hashing:
    """A write-only file that hashes what passes through it on its way to `inner`."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.size += len(data)
        return self.inner.write(data)

    def flush(self) -> None:
        self.inner.flush()


Owner = Callable[[str], tuple[int, int]]


def _root_owner(_: str) -> tuple[int, int]:
    return 0, 0


def walk(root: Path, prefix: str = "") -> Iterator[tuple[str, Path]]:
    """(archive name, path) for root's tree, parents before children, siblings by name."""
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        name = f"{prefix}{entry.name}"
        path = Path(entry.path)
        yield name, path
        if entry.is_dir(follow_symlinks=False):
            yield from walk(path, name + "/")


def write_layer(
    entries: Iterable[tuple[str, Path]], out: Path, epoch: int, owner: Owner = _root_owner
) -> Blob:
    """Write entries (archive name without leading '/', source path) as a normalised gzip tar.

    Entries must come sorted (walk() gives them so); hard links within the layer are kept.
    """
    tmp = temporary_beside(out)
    with tmp.open("wb") as raw:
        compressed = _Hashing(raw)
        with gzip.GzipFile(
            fileobj=compressed, mode="wb", compresslevel=GZIP_LEVEL, mtime=0, filename=""
        ) as gz:
            plain = _Hashing(gz)  # type: ignore[arg-type]  # GzipFile is a BinaryIO
            with tarfile.open(fileobj=plain, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
                seen: dict[tuple[int, int], str] = {}
                for name, path in entries:
                    _add(tar, name, path, epoch, owner, seen)
    tmp.replace(out)
    return Blob("sha256:" + compressed.hash.hexdigest(), compressed.size, "sha256:" + plain.hash.hexdigest())


def _add(
    tar: tarfile.TarFile, name: str, path: Path, epoch: int, owner: Owner, seen: dict[tuple[int, int], str]
) -> None:
    st = path.lstat()
    info = tarfile.TarInfo(name)
    info.mtime = epoch
    info.mode = stat.S_IMODE(st.st_mode)
    info.uid, info.gid = owner(name)
    info.uname = info.gname = ""
    if stat.S_ISDIR(st.st_mode):
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
    elif stat.S_ISLNK(st.st_mode):
        info.type = tarfile.SYMTYPE
        info.linkname = str(path.readlink())
        tar.addfile(info)
    elif stat.S_ISREG(st.st_mode):
        key = (st.st_dev, st.st_ino)
        if st.st_nlink > 1 and key in seen:
            info.type = tarfile.LNKTYPE
            info.linkname = seen[key]
            tar.addfile(info)
            return
        seen[key] = name
        info.size = st.st_size
        with path.open("rb") as handle:
            tar.addfile(info, handle)
    else:
        raise ValueError(f"{path}: only files, directories and symlinks can enter a layer")


def compress_tar(source: Path, out: Path) -> Blob:
    """Gzip an existing tar (the pinned base root filesystem) deterministically."""
    tmp = temporary_beside(out)
    plain = hashlib.sha256()
    with source.open("rb") as src, tmp.open("wb") as raw:
        compressed = _Hashing(raw)
        with gzip.GzipFile(
            fileobj=compressed, mode="wb", compresslevel=GZIP_LEVEL, mtime=0, filename=""
        ) as gz:
            while chunk := src.read(CHUNK):
                plain.update(chunk)
                gz.write(chunk)
    tmp.replace(out)
    return Blob("sha256:" + compressed.hash.hexdigest(), compressed.size, "sha256:" + plain.hexdigest())


def canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def _store(blobs: Path, data: bytes) -> Blob:
    digest = hashlib.sha256(data).hexdigest()
    target = blobs / digest
    if not target.exists():
        tmp = temporary_beside(target)
        tmp.write_bytes(data)
        tmp.replace(target)
    return Blob("sha256:" + digest, len(data))


@dataclass(frozen=True)
class Layer:
    blob: Blob
    path: Path  # the compressed file
    created_by: str  # the history line shown by `podman history`


def write_layout(out: Path, ref: str, config: dict[str, Any], layers: list[Layer], created: str) -> str:
    """Write an OCI image layout at `out` (replacing it); returns the manifest digest.

    `config` is the image config's `config` object (Env, Entrypoint, User, ...).
    """
    building = out.with_name(f".{out.name}.building")
    shutil.rmtree(building, ignore_errors=True)
    blobs = building / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    for layer in layers:
        target = blobs / layer.blob.digest.removeprefix("sha256:")
        if not target.exists():
            try:
                os.link(layer.path, target)
            except OSError:
                shutil.copyfile(layer.path, target)
    image_config = {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [layer.blob.diff_id for layer in layers]},
        "history": [{"created": created, "created_by": layer.created_by} for layer in layers],
    }
    config_blob = _store(blobs, canonical(image_config))
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": config_blob.digest, "size": config_blob.size},
        "layers": [
            {"mediaType": LAYER_MEDIA_TYPE, "digest": layer.blob.digest, "size": layer.blob.size}
            for layer in layers
        ],
    }
    manifest_blob = _store(blobs, canonical(manifest))
    index = {
        "schemaVersion": 2,
        "mediaType": INDEX_MEDIA_TYPE,
        "manifests": [
            {
                "mediaType": MANIFEST_MEDIA_TYPE,
                "digest": manifest_blob.digest,
                "size": manifest_blob.size,
                "annotations": {"org.opencontainers.image.ref.name": ref},
            }
        ],
    }
    (building / "index.json").write_bytes(canonical(index))
    (building / "oci-layout").write_bytes(canonical({"imageLayoutVersion": "1.0.0"}))
    shutil.rmtree(out, ignore_errors=True)
    building.replace(out)
    return manifest_blob.digest


def read_manifest(layout: Path) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(manifest digest, manifest, image config) of a single-image layout."""
    index = json.loads((layout / "index.json").read_text())
    descriptor = index["manifests"][0]
    manifest = json.loads(_blob(layout, descriptor["digest"]).read_text())
    config = json.loads(_blob(layout, manifest["config"]["digest"]).read_text())
    return descriptor["digest"], manifest, config


def _blob(layout: Path, digest: str) -> Path:
    return layout / "blobs" / "sha256" / digest.removeprefix("sha256:")


def layer_members(layout: Path, digest: str) -> Iterator[tuple[str, tarfile.TarInfo, bytes]]:
    """(name, header, sha256 of content) of each member of one layer, in order."""
    with tarfile.open(_blob(layout, digest), mode="r|gz") as tar:
        for member in tar:
            content = b""
            if member.isfile():
                handle = tar.extractfile(member)
                content = hashlib.sha256(handle.read() if handle else b"").digest()
            yield member.name, member, content


def executables(layout: Path, directories: Sequence[str]) -> list[str]:
    """The programs an image can start by name: absolute paths of the files with an execute bit,
    and of the links, directly inside `directories` (the image's PATH), over all its layers."""
    wanted = {d.strip("/") for d in directories}
    _, manifest, _ = read_manifest(layout)
    found: set[str] = set()
    for layer in manifest["layers"]:
        with tarfile.open(_blob(layout, layer["digest"]), mode="r|gz") as tar:
            for member in tar:
                name = member.name.removeprefix("./").rstrip("/")
                parent, _, base = name.rpartition("/")
                if parent in wanted and (
                    member.issym() or member.islnk() or (member.isfile() and member.mode & 0o111)
                ):
                    found.add(f"/{name}")
                elif parent in wanted and base.startswith(".wh."):
                    found.discard(f"/{parent}/{base.removeprefix('.wh.')}")
    return sorted(found)


def first_difference(expected: Path, actual: Path) -> str:
    """Where two builds of one image part ways: the first differing layer, and in it the first
    differing file (by name, header or content). '' when the manifests are equal."""
    d1, m1, c1 = read_manifest(expected)
    d2, m2, c2 = read_manifest(actual)
    if d1 == d2:
        return ""
    for i, (l1, l2) in enumerate(zip(m1["layers"], m2["layers"], strict=False)):
        if l1["digest"] == l2["digest"]:
            continue
        one, two = layer_members(expected, l1["digest"]), layer_members(actual, l2["digest"])
        for a, b in zip(one, two, strict=False):
            if a[0] != b[0]:
                return f"layer {i} ({l2['digest'][:19]}): first different entry {min(a[0], b[0])}"
            ha, hb = a[1], b[1]
            fields = ("mode", "uid", "gid", "mtime", "size", "type", "linkname")
            changed = [f for f in fields if getattr(ha, f) != getattr(hb, f)]
            if changed or a[2] != b[2]:
                return f"layer {i} ({l2['digest'][:19]}): {a[0]} differs ({', '.join(changed) or 'content'})"
        return f"layer {i} ({l2['digest'][:19]}): one layer has more entries than the other"
    if len(m1["layers"]) != len(m2["layers"]):
        return f"layer count {len(m1['layers'])} != {len(m2['layers'])}"
    return "image config differs: " + ", ".join(
        sorted(k for k in set(c1["config"]) | set(c2["config"]) if c1["config"].get(k) != c2["config"].get(k))
        or ["history/created"]
    )
