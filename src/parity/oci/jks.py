"""Make a Java KeyStore (JKS) of trusted certificates deterministic.

Debian's ca-certificates-java writes /etc/ssl/certs/java/cacerts at install time, stamping every
entry with the current time, so two otherwise identical base root filesystems differ in that one
file. mmdebstrap runs this as a customize hook: the same certificates and aliases, entries sorted
by alias, every timestamp SOURCE_DATE_EPOCH, the integrity digest recomputed.

Usage: python -m parity.oci.jks KEYSTORE EPOCH      (a missing KEYSTORE is left alone)
"""

from __future__ import annotations

import hashlib
import struct
import sys
from pathlib import Path

MAGIC = 0xFEEDFEED
TRUSTED_CERT = 2
# parity: allow secret -- the JDK's published default cacerts password, only an integrity-check key
PASSWORD = "changeit"  # noqa: S105


def _utf(data: bytes, at: int) -> tuple[bytes, int]:
    (length,) = struct.unpack_from(">H", data, at)
    return data[at + 2 : at + 2 + length], at + 2 + length


def parse(data: bytes) -> list[tuple[bytes, bytes, bytes]]:
    """(alias, certificate type, DER) of each trusted-certificate entry."""
    magic, version, count = struct.unpack_from(">III", data, 0)
    if magic != MAGIC or version != 2:
        raise ValueError("not a version 2 JKS keystore")
    at = 12
    entries = []
    for _ in range(count):
        (tag,) = struct.unpack_from(">I", data, at)
        if tag != TRUSTED_CERT:
            raise ValueError("only trusted-certificate entries are supported (this keystore holds a key)")
        alias, at = _utf(data, at + 4)
        at += 8  # the timestamp we replace
        cert_type, at = _utf(data, at)
        (length,) = struct.unpack_from(">I", data, at)
        entries.append((alias, cert_type, data[at + 4 : at + 4 + length]))
        at += 4 + length
    if len(data) != at + 20:
        raise ValueError("trailing bytes after the entries")
    return entries


def serialise(entries: list[tuple[bytes, bytes, bytes]], epoch: int) -> bytes:
    body = bytearray(struct.pack(">III", MAGIC, 2, len(entries)))
    for alias, cert_type, der in sorted(entries):
        body += struct.pack(">IH", TRUSTED_CERT, len(alias)) + alias + struct.pack(">Q", epoch * 1000)
        body += struct.pack(">H", len(cert_type)) + cert_type + struct.pack(">I", len(der)) + der
    key = PASSWORD.encode("utf-16-be") + b"Mighty Aphrodite"  # the JKS integrity scheme
    return bytes(body) + hashlib.sha1(key + bytes(body), usedforsecurity=False).digest()


def normalise(path: Path, epoch: int) -> bool:
    if not path.is_file():
        return False
    data = path.read_bytes()
    fixed = serialise(parse(data), epoch)
    if fixed != data:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(fixed)
        tmp.chmod(path.stat().st_mode & 0o7777)
        tmp.replace(path)
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].isdigit():
        print("usage: python -m parity.oci.jks KEYSTORE EPOCH", file=sys.stderr)
        return 2
    normalise(Path(argv[0]), int(argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
