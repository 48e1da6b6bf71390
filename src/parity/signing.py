"""Edge: released images pushed by digest, signed and verified with cosign (the pinned build).

`parity images push` copies each built layout whose digest is the lock's to the registry and reads
the digest back; `parity images sign` signs each locked digest there with the key held in Secrets
Manager (parity.toml [signing] key_secret, a JSON secret {"private_key": PEM, "password": ...}),
with no transparency log (the registry is private); `parity promote` verifies every image of the
release against [signing] public_key before it applies anything, and refuses (exit 3) an unsigned
digest or one signed with another key. `mirror` reads the repositories' host from another registry
(the local one stands in for ECR), as containerd's hosts.toml does for the kubelet.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from parity import image_inputs, loaders
from parity.devenv import binary
from parity.errors import BadInput, Refused
from parity.oci.layout import read_manifest
from parity.policy import POLICY_FILE

IMAGES = Path(".parity/images")
COSIGN_FLAGS = ("--allow-http-registry", "--allow-insecure-registry")


@dataclass(frozen=True)
class Signing:
    public_key: str  # relative to the root, committed
    environments: tuple[str, ...]
    key_secret: str
    region: str
    mirror: str = ""


def settings(root: Path) -> Signing | None:
    """parity.toml's [signing], or None where it has none."""
    text = loaders.read_text(root / POLICY_FILE, POLICY_FILE)
    data = loaders.Fields(loaders.parse_toml(text, POLICY_FILE), POLICY_FILE, text)
    if "signing" not in data.data:
        return None
    table = data.table("signing")
    found = Signing(
        table.string("public_key"),
        tuple(table.strings("environments")),
        table.string("key_secret"),
        table.string("region", "eu-west-1"),
        os.environ.get("PARITY_SIGNING_MIRROR") or table.string("mirror", ""),
    )
    if not (root / found.public_key).is_file():
        raise table.error("signing.public_key", f"names {found.public_key}, which is not there")
    return found


def reference(repository: str, digest: str, mirror: str) -> str:
    host, _, path = repository.partition("/")
    return f"{mirror or host}/{path}@{digest}"


def _repositories(root: Path) -> dict[str, str]:
    return {name: str(entry["repository"]) for name, entry in image_inputs.locked_images(root).items()}


def _cosign(root: Path, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary(root, "cosign")), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COSIGN_YES": "true", **(env or {})},
        check=False,
    )


def verify(root: Path, s: Signing, images: Mapping[str, str], env: str) -> list[str]:
    """Every image of a release verified against the public key; refuses the first that is not."""
    if env not in s.environments:
        return []
    repositories = _repositories(root)
    verified = []
    for name, digest in sorted(images.items()):
        ref = reference(repositories.get(name, f"unknown/{name}"), digest, s.mirror)
        key = str(root / s.public_key)
        done = _cosign(root, "verify", "--key", key, "--insecure-ignore-tlog=true", *COSIGN_FLAGS, ref)
        if done.returncode != 0:
            raise Refused(
                f"image {name} {digest[:19]}...",
                _problem(done.stderr, s.public_key),
                "Promote only what release.yml signed (parity images sign), with the key of [signing]",
            )
        verified.append(ref)
    return verified


def _problem(stderr: str, public_key: str) -> str:
    said = " ".join(stderr.split())
    if "no signatures found" in said:
        return "is not signed"
    if "no matching signatures" in said or "verification error" in said or "invalid signature" in said:
        return f"is not signed with {public_key}'s key"
    return f"could not be verified: {said[-200:] or 'cosign verify failed'}"


def check(root: Path, images: Mapping[str, str], env: str) -> list[str]:
    """What promotion calls: nothing where parity.toml has no [signing]."""
    found = settings(root)
    return verify(root, found, images, env) if found else []


def _key(s: Signing, endpoint: str | None) -> tuple[str, str]:
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    from parity.infra import aws_live

    try:
        value = aws_live.clients(s.region, endpoint).secrets.get_secret_value(SecretId=s.key_secret)
        secret = json.loads(value["SecretString"])
        return str(secret["private_key"]), str(secret.get("password", ""))
    except (ClientError, BotoCoreError, KeyError, ValueError) as exc:
        raise BadInput(
            f"secret {s.key_secret}", f"gives no signing key: {exc}",
            'Store {"private_key": PEM, "password": ...} there (cosign generate-key-pair makes them)',
        ) from None  # fmt: skip


def sign(root: Path, s: Signing, names: list[str], endpoint: str | None) -> list[str]:
    """Sign each locked image's digest in the registry; returns the references signed."""
    locked = image_inputs.locked_images(root)
    for name in names:
        if name not in locked:
            raise BadInput(name, "is not in lock/images.lock.json", f"Use one of {', '.join(sorted(locked))}")
    key, password = _key(s, endpoint)
    signed = []
    for name in names or sorted(locked):
        ref = reference(str(locked[name]["repository"]), str(locked[name]["digest"]), s.mirror)
        done = _cosign(root, "sign", "--key", "env://PARITY_COSIGN_KEY", "--tlog-upload=false", *COSIGN_FLAGS,
                       ref, env={"PARITY_COSIGN_KEY": key, "COSIGN_PASSWORD": password})  # fmt: skip
        if done.returncode != 0:
            said = (done.stderr.strip().splitlines() or ["cosign sign failed"])[-1]
            raise BadInput(
                f"image {name}", f"could not be signed: {said[:200]}", "Push it first: parity images push"
            )
        signed.append(ref)
    return signed


def push(root: Path, names: list[str], registry: str) -> list[str]:
    """Copy each built layout to the registry by digest; the registry must then answer that digest."""
    locked = image_inputs.locked_images(root)
    pushed = []
    for name in names or sorted(locked):
        entry = locked.get(name)
        layout = root / IMAGES / name
        built = read_manifest(layout)[0] if (layout / "index.json").is_file() else ""
        if entry is None or built != entry["digest"]:
            wanted = str((entry or {}).get("digest"))[:19]
            raise BadInput(
                f"image {name}",
                f"built {built[:19] or 'nothing'}, the lock says {wanted}",
                f"Run parity images build {name} (a changed input needs scripts/lock-images)",
            )
        host, _, path = str(entry["repository"]).partition("/")
        target = f"{registry or host}/{path}"
        tls = ["--dest-tls-verify=false"] if registry.startswith(("127.", "localhost")) else []
        login = _ecr_login(registry or host)
        copy = ["skopeo", "copy", "--quiet", "--preserve-digests", *tls, *login, f"oci:{layout}:{name}",
                f"docker://{target}:{name}-{entry['digest'][7:19]}"]  # fmt: skip
        done = subprocess.run(copy, capture_output=True, text=True, check=False, timeout=1800)
        reading = [a.replace("--dest-", "--") for a in (*tls, *login)]
        inspect = ["skopeo", "inspect", *reading, "--format", "{{.Digest}}",
                   f"docker://{target}@{entry['digest']}"]  # fmt: skip
        found = subprocess.run(inspect, capture_output=True, text=True, check=False, timeout=300)
        if done.returncode != 0 or found.stdout.strip() != entry["digest"]:
            said = (done.stderr or found.stderr).strip()[-200:]
            raise BadInput(
                f"image {name}", f"push to {target} failed: {said}", "Check the registry and its login"
            )
        pushed.append(f"{target}@{entry['digest']}")
    return pushed


def _ecr_login(host: str) -> list[str]:
    """skopeo's credentials for an ECR host, from the runner's AWS role (none for another registry)."""
    if ".dkr.ecr." not in host:
        return []
    import base64

    import boto3  # type: ignore[import-untyped]

    region = host.split(".dkr.ecr.")[1].split(".")[0]
    token = (
        boto3.session.Session()
        .client("ecr", region_name=region)
        .get_authorization_token()["authorizationData"][0]
    )
    return ["--dest-creds", base64.b64decode(token["authorizationToken"]).decode()]
