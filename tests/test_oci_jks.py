"""parity.oci.jks: the same trusted certificates give the same cacerts bytes, which the JDK's own
keytool still reads and verifies (integrity digest under the store password)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from parity.oci import jks

KEYTOOL = shutil.which("keytool")
pytestmark = pytest.mark.skipif(
    KEYTOOL is None, reason="needs the JDK's keytool (JDK 17 is a machine prerequisite)"
)


def keytool(*args: str) -> subprocess.CompletedProcess[str]:
    assert KEYTOOL is not None, "keytool (JDK 17) is not on PATH"
    return subprocess.run([KEYTOOL, *args], capture_output=True, text=True, timeout=120, check=True)


def key_pair(store: Path, alias: str, store_type: str, password: str) -> None:
    keytool(
        "-genkeypair",
        "-storetype",
        store_type,
        "-keystore",
        str(store),
        "-storepass",
        password,
        "-alias",
        alias,
        "-dname",
        f"CN={alias}",
        "-keyalg",
        "EC",
        "-validity",
        "3650",
    )


def trusted_store(tmp_path: Path, name: str, aliases: list[str]) -> Path:
    """A JKS with trusted-certificate entries added in the given order, one second apart."""
    store = tmp_path / name
    for alias in aliases:
        cert = tmp_path / f"{alias}.pem"
        if not cert.exists():
            keys = tmp_path / f"{alias}.p12"
            key_pair(keys, alias, "PKCS12", "secret1")
            keytool(
                "-exportcert",
                "-rfc",
                "-keystore",
                str(keys),
                "-storepass",
                "secret1",
                "-alias",
                alias,
                "-file",
                str(cert),
            )
        keytool(
            "-importcert",
            "-noprompt",
            "-storetype",
            "JKS",
            "-keystore",
            str(store),
            "-storepass",
            jks.PASSWORD,
            "-alias",
            alias,
            "-file",
            str(cert),
        )
        time.sleep(1.1)
    return store


def test_same_certificates_same_bytes_and_keytool_still_reads_them(tmp_path: Path) -> None:
    one = trusted_store(tmp_path, "one.jks", ["debian:b.pem", "debian:a.pem"])
    two = trusted_store(tmp_path, "two.jks", ["debian:a.pem", "debian:b.pem"])
    assert one.read_bytes() != two.read_bytes()  # other order, other timestamps
    assert jks.normalise(one, 1767225600) and jks.normalise(two, 1767225600)
    assert one.read_bytes() == two.read_bytes()
    listed = keytool("-list", "-keystore", str(one), "-storepass", jks.PASSWORD)
    assert "Your keystore contains 2 entries" in listed.stdout
    assert "Jan 1, 2026" in listed.stdout  # every entry dated SOURCE_DATE_EPOCH


def test_missing_store_is_left_alone_and_keys_are_refused(tmp_path: Path) -> None:
    assert jks.normalise(tmp_path / "absent", 1) is False
    keys = tmp_path / "keys.jks"
    key_pair(keys, "k", "JKS", jks.PASSWORD)
    with pytest.raises(ValueError, match="only trusted-certificate entries"):
        jks.normalise(keys, 1)
