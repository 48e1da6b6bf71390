"""Edge: what the local cluster changes on the machine, and how `down` puts it back.

The node bridge and its address, the sysctls (saved once before the first change), the iptables
chains the kubelet, kube-proxy and the CNI plugins add, the kubelet's mounts, the certificates
and tokens. Every undo step is safe to repeat.
"""

from __future__ import annotations

import json
import secrets
import shlex
import subprocess
from pathlib import Path

from parity.cluster import configs
from parity.cluster.plan import (
    API_SERVICE_IP,
    CHAIN_PREFIXES,
    NODE_BRIDGE,
    NODE_IP,
    POD_BRIDGE,
    SYSCTLS,
    Layout,
)
from parity.errors import ParityError


class HostError(ParityError):
    """The machine refused a change the cluster needs."""

    exit_code = 1


def _run(*argv: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(argv), capture_output=True, text=True, input=input, check=False)
    if check and done.returncode != 0:
        raise HostError(
            argv[0], f"`{' '.join(argv)}` failed: {done.stderr.strip()[:300]}", "Run parity up as root"
        )
    return done


# --- sysctls ---------------------------------------------------------------------------------------
def _sysctl_path(name: str) -> Path:
    return Path("/proc/sys") / name.replace(".", "/")


def read_sysctls() -> dict[str, str]:
    out = {}
    for name in SYSCTLS:
        try:
            out[name] = _sysctl_path(name).read_text().strip()
        except OSError:
            continue
    return out


def save_sysctls(layout: Layout) -> None:
    """Record the machine's values before the cluster's first change (kept across `up` reruns)."""
    if not layout.sysctls.exists():
        partial = layout.sysctls.with_suffix(".tmp")
        partial.write_text(json.dumps(read_sysctls(), indent=2))
        partial.replace(layout.sysctls)


def set_sysctl(name: str, value: str) -> None:
    _sysctl_path(name).write_text(value)


def restore_sysctls(layout: Layout) -> list[str]:
    """Put back what `save_sysctls` recorded; returns the names it changed."""
    try:
        saved = json.loads(layout.sysctls.read_text())
    except (OSError, ValueError):
        return []
    changed = []
    for name, value in saved.items():
        if read_sysctls().get(name) != value:
            set_sysctl(name, value)
            changed.append(name)
    layout.sysctls.unlink()
    return changed


# --- network ----------------------------------------------------------------------------------------
def link_exists(name: str) -> bool:
    return Path("/sys/class/net", name).exists()


def ensure_bridge() -> bool:
    """The node bridge with the node IP (/32). True if this call created it."""
    if link_exists(NODE_BRIDGE):
        return False
    _run("ip", "link", "add", NODE_BRIDGE, "type", "bridge")
    _run("ip", "addr", "add", f"{NODE_IP}/32", "dev", NODE_BRIDGE)
    _run("ip", "link", "set", NODE_BRIDGE, "up")
    return True


def delete_links() -> list[str]:
    removed = []
    for name in (POD_BRIDGE, NODE_BRIDGE):
        if link_exists(name):
            _run("ip", "link", "del", name, check=False)
            removed.append(name)
    for veth in Path("/sys/class/net").iterdir():
        master = veth / "master"
        if master.exists() and master.resolve().name in (POD_BRIDGE, NODE_BRIDGE):
            _run("ip", "link", "del", veth.name, check=False)
    return removed


def our_chains() -> dict[str, list[str]]:
    """Per table, the chains named KUBE-* or CNI-* (ours: the kubelet, kube-proxy, the CNI plugins)."""
    out: dict[str, list[str]] = {}
    for table in ("filter", "nat", "mangle"):
        listing = _run("iptables", "-t", table, "-S", check=False).stdout
        names = [
            line.split()[1]
            for line in listing.splitlines()
            if line.startswith("-N ") and line.split()[1].startswith(CHAIN_PREFIXES)
        ]
        if names:
            out[table] = names
    return out


def our_rules() -> list[str]:
    """Rules in the built-in chains that jump to our chains or name our addresses."""
    found = []
    for table in ("filter", "nat", "mangle"):
        for line in _run("iptables", "-t", table, "-S", check=False).stdout.splitlines():
            builtin = line.startswith("-A ") and not line.split()[1].startswith(CHAIN_PREFIXES)
            if builtin and (
                any(f"-j {p}" in line for p in CHAIN_PREFIXES) or "10.244." in line or API_SERVICE_IP in line
            ):
                found.append(f"{table} {line}")
    return found


def delete_iptables() -> int:
    """Remove every rule that jumps to our chains, then flush and delete the chains."""
    count = 0
    for entry in our_rules():
        table, rule = entry.split(" ", 1)
        _run("iptables", "-t", table, "-D", *shlex.split(rule)[1:], check=False)
        count += 1
    for table, chains in our_chains().items():
        for chain in chains:
            _run("iptables", "-t", table, "-F", chain, check=False)
        for chain in chains:
            _run("iptables", "-t", table, "-X", chain, check=False)
            count += 1
    return count


# --- mounts -----------------------------------------------------------------------------------------
def mounts_under(path: Path) -> list[str]:
    prefix = str(path.resolve())
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point == prefix or point.startswith(prefix + "/"):
            found.append(point)
    return found


def unmount_under(path: Path) -> int:
    points = sorted(set(mounts_under(path)), key=len, reverse=True)
    for point in points:
        if _run("umount", point, check=False).returncode != 0:
            _run("umount", "-l", point, check=False)
    return len(points)


# --- certificates and tokens -----------------------------------------------------------------------
def ensure_pki(layout: Layout) -> None:
    """A CA, the API server's serving certificate, the service-account key pair and one token per
    identity. Made once per state directory (`down --purge` removes them)."""
    pki = layout.pki
    if (pki / "apiserver.crt").exists() and layout.tokens.exists():
        return
    pki.mkdir(parents=True, exist_ok=True)
    ca_key, ca_crt = pki / "ca.key", pki / "ca.crt"
    _run("openssl", "genrsa", "-out", str(ca_key), "2048")
    _run(
        "openssl",
        "req",
        "-x509",
        "-new",
        "-nodes",
        "-key",
        str(ca_key),
        "-subj",
        "/CN=parity-local-ca",
        "-days",
        "3650",
        "-out",
        str(ca_crt),
    )
    names = [
        "DNS:kubernetes",
        "DNS:kubernetes.default",
        "DNS:kubernetes.default.svc",
        "DNS:kubernetes.default.svc.cluster.local",
        "DNS:localhost",
        f"IP:{NODE_IP}",
        f"IP:{API_SERVICE_IP}",
        "IP:127.0.0.1",
    ]
    extensions = pki / "apiserver.ext"
    extensions.write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
        f"extendedKeyUsage=serverAuth\nsubjectAltName={','.join(names)}\n"
    )
    _run("openssl", "genrsa", "-out", str(pki / "apiserver.key"), "2048")
    _run(
        "openssl",
        "req",
        "-new",
        "-key",
        str(pki / "apiserver.key"),
        "-subj",
        "/CN=kube-apiserver",
        "-out",
        str(pki / "apiserver.csr"),
    )
    _run(
        "openssl",
        "x509",
        "-req",
        "-in",
        str(pki / "apiserver.csr"),
        "-CA",
        str(ca_crt),
        "-CAkey",
        str(ca_key),
        "-CAcreateserial",
        "-days",
        "3650",
        "-extfile",
        str(extensions),
        "-out",
        str(pki / "apiserver.crt"),
    )
    _run("openssl", "genrsa", "-out", str(pki / "sa.key"), "2048")
    _run("openssl", "rsa", "-in", str(pki / "sa.key"), "-pubout", "-out", str(pki / "sa.pub"))
    rows = [f"{secrets.token_hex(24)},{user},{user},{group}" for user, group in IDENTITIES.items()]
    partial = layout.tokens.with_suffix(".tmp")
    partial.write_text("\n".join(r if r.split(",")[3] else r.rsplit(",", 1)[0] for r in rows) + "\n")
    partial.chmod(0o600)
    partial.replace(layout.tokens)


# Token identities: the node and each control-plane component under the name its RBAC expects.
IDENTITIES = {
    "admin": "system:masters",
    "system:node:parity-local": "system:nodes",
    "system:kube-controller-manager": "",
    "system:kube-scheduler": "",
    "system:kube-proxy": "",
}


def tokens(layout: Layout) -> dict[str, str]:
    out = {}
    for line in layout.tokens.read_text().splitlines():
        token, user = line.split(",")[:2]
        out[user] = token
    return out


def write_kubeconfigs(layout: Layout, server: str, users: dict[str, str], name: str = "parity-local") -> None:
    """`<file>.kubeconfig` under the PKI for each identity, readable by its owner only (each holds
    a token), written whole."""
    known = tokens(layout)
    for file, user in users.items():
        path = layout.pki / f"{file}.kubeconfig"
        partial = path.with_name(path.name + ".tmp")
        partial.write_text(configs.kubeconfig(server, layout.pki / "ca.crt", known[user], user, name))
        partial.chmod(0o600)
        partial.replace(path)
