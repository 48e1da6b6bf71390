"""Rebuild images from scratch (no layer cache, the base re-made by mmdebstrap) and compare their
digests with lock/images.lock.json, naming the first differing layer and file."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity.oci import build as builder
from parity.oci import layout
from parity.oci.common import Say
from parity.oci.definition import ImageDef


@dataclass(frozen=True)
class Verdict:
    name: str
    digest: str
    seconds: float
    status: str  # reproduced | DIFFERS | NOT LOCKED
    problem: str = ""


def verify(
    root: Path, images: list[ImageDef], locked: dict[str, dict[str, Any]], say: dict[str, Say]
) -> list[Verdict]:
    out = []
    with tempfile.TemporaryDirectory(prefix="parity-verify-") as tmp:
        rebuilt = builder.build_all(
            root,
            images,
            lambda image: Path(tmp) / image.name,
            lambda image: say[image.name],
            fresh=True,
            keep=False,
        )
        for image, built in zip(images, rebuilt, strict=True):
            entry = locked.get(image.name)
            if entry is None:
                out.append(
                    Verdict(
                        image.name,
                        built.digest,
                        built.seconds,
                        "NOT LOCKED",
                        f"{image.name}: not in the lock. Run scripts/lock-images",
                    )
                )
            elif built.digest == entry["digest"]:
                out.append(Verdict(image.name, built.digest, built.seconds, "reproduced"))
            else:
                problem = f"{image.name}: rebuilt {built.digest} != locked {entry['digest']}: " + where(
                    root, image.name, entry, built
                )
                out.append(Verdict(image.name, built.digest, built.seconds, "DIFFERS", problem))
    return out


def where(root: Path, name: str, entry: dict[str, Any], built: builder.Built) -> str:
    """The first differing layer, and in it the first differing file when the locked build is here."""
    local = root / builder.OUT / name
    if local.is_dir() and layout.read_manifest(local)[0] == entry["digest"]:
        return layout.first_difference(local, built.layout)
    locked_layers = entry.get("layers")
    if isinstance(locked_layers, list):
        for i, (old, new) in enumerate(zip(locked_layers, built.layers, strict=False)):
            if old.get("diff_id") != new["diff_id"]:
                return (
                    f"layer {i} ({new['role']}) content differs (diff_id {new['diff_id'][:19]}... != locked "
                    f"{str(old.get('diff_id'))[:19]}...); build the locked commit with `parity images build` "
                    "to see the first differing file"
                )
    return "the image config differs (entrypoint, env, user or labels)"
