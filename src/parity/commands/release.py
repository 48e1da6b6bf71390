"""`parity release create | show ID | list`: content-addressed release bundles."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from parity.errors import OK
from parity.output import emit_json
from parity.policy import Policy
from parity.promotion import flow, rules, store
from parity.promotion.ledgers import open_ledger


def create(root: Path, policy: Policy, evidence: list[Path], who: str | None, output_format: str) -> int:
    state = store.state_dir(root)
    release, manifests = store.build(root, policy, evidence)
    if store.save(state, release, manifests):
        flow.record(
            open_ledger(root, policy),
            "release.create",
            flow.actor(who, root),
            release.id,
            git_sha=release.git_sha,
            content=release.digest,
            renderings=dict(release.renderings),
            evidence=dict(release.evidence),
        )
        print(f"created release {release.id} from {release.git_sha[:12]}", file=sys.stderr)
    else:
        print(f"release {release.id} exists already (the same content)", file=sys.stderr)
    if os.environ.get("GITHUB_OUTPUT"):  # release.yml hands the id to the promote-staging job
        with Path(os.environ["GITHUB_OUTPUT"]).open("a", encoding="utf-8") as outputs:
            outputs.write(f"release={release.id}\n")
    if output_format == "json":
        emit_json({"id": release.id})
    else:
        print(release.id)
    return OK


def _status(entries: list[dict[str, object]], release_id: str, envs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for env in envs:
        if rules.deployed(entries, env) == release_id:
            out[env] = "deployed"
        elif rules.reached(entries, release_id, env):
            out[env] = "was deployed"
    return out


def show(root: Path, policy: Policy, release_id: str, output_format: str) -> int:
    state = store.state_dir(root)
    stored = store.load(state, release_id)
    entries = open_ledger(root, policy).entries()
    history = [e for e in entries if e["release"] == release_id]
    document = {
        "id": release_id,
        **stored.release.content(),
        "environments": _status(entries, release_id, policy.path),
        "history": [{k: e[k] for k in ("seq", "time", "action", "actor", "env")} for e in history],
    }
    if output_format == "json":
        emit_json(document)
        return OK
    print(f"release {release_id}  git {stored.release.git_sha}")
    for name, image in document["images"].items():
        print(f"  image {name:<10} {image}")
    for env, sha in stored.release.renderings.items():
        print(f"  {env:<8} manifest sha256:{sha[:16]}…  {document['environments'].get(env, '')}")
    for gate, sha in stored.release.evidence.items():
        print(f"  gate {gate:<8} evidence sha256:{sha[:16]}…")
    for e in history:
        print(f"  #{e['seq']:<5} {e['time'][:19]}  {e['action']:<14} {e['env'] or '':<8} {e['actor']}")
    return OK


def list_(root: Path, policy: Policy, output_format: str) -> int:
    state = store.state_dir(root)
    entries = open_ledger(root, policy).entries()
    created = {e["release"]: e for e in entries if e["action"] == "release.create"}
    rows = []
    for release_id in store.ids(state):
        made = created.get(release_id, {})
        rows.append(
            {
                "id": release_id,
                "created": made.get("time", ""),
                "by": made.get("actor", ""),
                "git_sha": store.record(state, release_id).git_sha,
                "environments": _status(entries, release_id, policy.path),
            }
        )
    rows.sort(key=lambda r: str(r["created"]))
    if output_format == "json":
        emit_json({"releases": rows})
        return OK
    for row in rows:
        where = ", ".join(f"{env} ({s})" for env, s in row["environments"].items())
        print(f"{row['id']}  {str(row['created'])[:19]}  {str(row['git_sha'])[:12]}  {row['by']}  {where}")
    return OK
