"""Build the workload images bit-for-bit reproducibly from locked inputs only, without Docker.

An image is three layers (parity.oci.layers):
  0 base   the Debian root filesystem from mmdebstrap (SOURCE_DATE_EPOCH), its package versions
           and its tarball's sha256 pinned in lock/images-base.lock.json (parity.oci.base)
  1 app    /opt/venv: the image's lock group, hash-checked wheels (parity.oci.wheels) installed by
           the image's own Python in a chroot, byte-compiled with hash-based .pyc
  2 files  the sources the definition copies in, the locked jars, the image's user
Layers are normalised tars (sorted, numeric root ownership, every time the epoch) gzipped with a
zero header time; the layout is written with fixed `created` times. Same inputs, same digest.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity.oci import definition, layout
from parity.oci.base import base_tarball, read_base_lock
from parity.oci.common import BUILDER, Say, _quiet, cache_dir
from parity.oci.definition import VENV, ImageDef
from parity.oci.layers import NONE, REFRESH, USE, app_layer, base_layer, files_layer
from parity.toolcheck import sha256_file

OUT = Path(".parity/images")


@dataclass(frozen=True)
class Built:
    name: str
    digest: str
    layout: Path
    layers: list[dict[str, Any]]
    seconds: float
    build_input_hash: str

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "digest": self.digest,
            "size": self.size,
            "seconds": round(self.seconds, 2),
            "layout": str(self.layout),
            "layers": self.layers,
        }

    @property
    def size(self) -> int:
        return sum(int(layer["size"]) for layer in self.layers)


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
    keep: bool = True,
    relock_base: bool = False,
    say: Say = _quiet,
) -> Built:
    """Build one image into the OCI layout `out`."""
    started = time.monotonic()
    cache_dir(root).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"build-{image.name}-", dir=cache_dir(root)) as tmp:
        scratch = Path(tmp)
        # fresh: reuse nothing; keep: what is made serves later builds (verify keeps nothing).
        cache = (REFRESH if keep else NONE) if fresh else USE
        base, base_sha = base_tarball(root, image, say, fresh=fresh, relock=relock_base)
        layers = []
        blob, path = base_layer(root, base, base_sha, scratch, cache)
        layers.append(layout.Layer(blob, path, f"base: mmdebstrap {image.common.suite} {image.base_key}"))
        blob, path, count = app_layer(root, image, base, base_sha, scratch, cache, say)
        layers.append(layout.Layer(blob, path, f"app: {VENV} from {image.requirements} ({count} packages)"))
        blob, path = files_layer(root, image, base, base_sha, scratch, cache, say)
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


def build_all(
    root: Path,
    images: list[ImageDef],
    out_of: Callable[[ImageDef], Path],
    say_of: Callable[[ImageDef], Say],
    **options: Any,
) -> list[Built]:
    """Build several images, in the order given. Images on different bases share nothing but
    hash-checked downloads, so each base's images build in a lane of their own, two lanes at once
    (a build is mostly one busy core: pip in a chroot, then gzip); images on one base build in
    turn, the first making the base the others reuse."""
    lanes: dict[str, list[ImageDef]] = {}
    for image in images:
        lanes.setdefault(image.base_key, []).append(image)

    def lane(members: list[ImageDef]) -> list[Built]:
        return [build(root, image, out_of(image), say=say_of(image), **options) for image in members]

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = {b.name: b for built in pool.map(lane, lanes.values()) for b in built}
    return [done[image.name] for image in images]
