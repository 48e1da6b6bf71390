"""Edge: ephemeral environments on their cluster. The namespace is the record: its labels say it
is ephemeral and whose, its annotations when it was made, when it expires, what it costs per hour
and what it made outside the cluster (`outside.Made`). create refuses an environment that does
not mirror its --from (the same diff as `parity diff FROM NAME`), then applies namespace, outside
objects and workloads in that order; destroy removes them in reverse.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from parity import diffing, kustomize
from parity.devenv import binary
from parity.ephemeral import (
    CREATED,
    EPHEMERAL_LABEL,
    EXPIRES,
    MADE,
    RATE,
    SOURCE,
    STATE_DIR,
    TTL,
    Settings,
    cost,
)
from parity.ephemeral import overlay as generated
from parity.ephemeral.outside import Made, can_clone, clone, make_prefixes, make_topics, remove
from parity.errors import BadInput, ParityError
from parity.invariants import classify
from parity.policy import Policy
from parity.promotion.apply import Cluster
from parity.release import ENV_LABEL, MANAGED_LABEL, MANAGED_VALUE, labelled
from parity.rendering import read_values, render_all


class Unlike(ParityError):
    """The generated environment does not mirror its --from: nothing was applied (exit 1)."""

    exit_code = 1


@dataclass
class Live:
    name: str
    namespace: str
    source: str
    created: datetime
    expires: datetime
    ttl: str
    rate: float
    made: Made = field(default_factory=Made)

    def age(self, now: datetime) -> timedelta:
        return now - self.created

    def spent(self, now: datetime) -> float:
        return round(self.rate * max(self.age(now).total_seconds(), 0) / 3600, 2)


def cluster(root: Path, policy: Policy, s: Settings, name: str, stand_in: bool) -> Cluster:
    kubectl = str(binary(root, "kubectl"))
    if stand_in:
        home = policy.mirrors[s.template]
        taken = policy.promotion.stand_ins.get(home)
        if taken is None:
            raise BadInput(
                "--stand-in", f"parity.toml names no stand-in for {home}", f"Set promotion.stand_ins.{home}"
            )
        config = str(root / taken.kubeconfig) if taken.kubeconfig else ""
        return Cluster(kubectl, taken.context, name, kubeconfig=config)
    if not s.context:
        raise BadInput(
            "ephemeral.context", "names no cluster", "Set it in parity.toml (or promotion.contexts.dev)"
        )
    return Cluster(kubectl, s.context, name)


def environments(target: Cluster) -> list[Live]:
    out = target.run("get", "namespaces", "-l", EPHEMERAL_LABEL, "-o", "json")
    found = []
    for item in json.loads(out).get("items", []):
        meta = item["metadata"]
        notes = meta.get("annotations") or {}
        found.append(
            Live(
                meta["labels"][EPHEMERAL_LABEL],
                meta["name"],
                notes.get(SOURCE, ""),
                datetime.fromisoformat(notes[CREATED]),
                datetime.fromisoformat(notes[EXPIRES]),
                notes.get(TTL, ""),
                float(notes.get(RATE, 0)),
                Made.of(json.loads(notes.get(MADE) or "{}")),
            )
        )
    return sorted(found, key=lambda e: e.created)


def _namespace(live: Live) -> dict[str, Any]:
    labels = {EPHEMERAL_LABEL: live.name, MANAGED_LABEL: MANAGED_VALUE, ENV_LABEL: live.name}
    notes = {
        SOURCE: live.source, CREATED: live.created.isoformat(timespec="seconds"),
        EXPIRES: live.expires.isoformat(timespec="seconds"), TTL: live.ttl, RATE: f"{live.rate:.4f}",
        MADE: json.dumps(live.made.record(), sort_keys=True),
    }  # fmt: skip
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": live.namespace, "labels": labels, "annotations": notes},
    }


def _record(target: Cluster, live: Live) -> Callable[[], None]:
    def save() -> None:  # its own field manager: the workloads' apply (manager parity) never drops it
        document = json.dumps(_namespace(live))
        target.run(
            "apply",
            "--server-side",
            "--force-conflicts",
            "--field-manager=parity-env",
            "-f",
            "-",
            input=document,
        )

    return save


def check_mirrors(root: Path, policy: Policy, env: generated.Env) -> int:
    """Violations of `parity diff FROM NAME`; the allowed differences' count on success."""
    policy = generated.with_known(root, policy, env.template).for_pair(env.source, env.name)
    rendered = render_all(root, [env.source, env.name], validate=False)
    differences = diffing.diff(rendered[env.source].resources, rendered[env.name].resources)
    violations, allowed = classify(f"{env.source}->{env.name}", differences, policy)
    if violations:
        first = violations[0]
        raise Unlike(
            f"{env.name} vs {env.source}",
            f"{len(violations)} violation(s), first {first.subject} {first.path}: {first.message}",
            f"Fix overlays/{env.template} (parity diff {env.source} {env.name} lists them)",
        )  # fmt: skip
    return sum(allowed.values())


def create(
    root: Path, policy: Policy, s: Settings, env: generated.Env, stand_in: bool,
    bootstrap: str | None, endpoint: str | None, wait: bool, say: Callable[[str], None],
) -> Live:  # fmt: skip
    target = cluster(root, policy, s, env.name, stand_in)
    if any(e.name == env.name for e in environments(target)):
        raise BadInput(
            env.name,
            f"already exists on {target.context}",
            f"parity env destroy {env.name} first, or pick another name",
        )
    statements = generated.write(root, env)
    try:
        allowed = check_mirrors(root, policy, env)
    except ParityError:
        shutil.rmtree(root / env.state, ignore_errors=True)
        raise
    say(f"{env.name} mirrors {env.source}: {allowed} allowed difference(s), no violations")
    _, documents = kustomize.build(root, env.name, generated.LOCAL if stand_in else "overlay")
    spec = read_values(root, env.name)
    values = _platform_values(documents)
    rate = cost.per_hour(documents, spec, s.rates)
    live = Live(env.name, _one_namespace(documents), env.source, env.created, env.expires, _ttl(env), rate)
    save = _record(target, live)
    save()
    plaintext = values.get("FINSIGHT_KAFKA_SECURITY_PROTOCOL") == "PLAINTEXT"
    brokers = bootstrap or (values.get("FINSIGHT_KAFKA_BOOTSTRAP_SERVERS") if plaintext else None)
    if brokers:
        made = make_topics(live.made, spec, f"{env.directory}/values.yaml", brokers, save)
        say(f"topics: {made} made at {brokers}")
    else:
        say(
            "topics: not made: the brokers take MSK IAM, which parity cannot speak (pass --bootstrap-servers)"
        )
    live.made.region = str(spec["aws"]["region"])
    live.made.s3_endpoint = endpoint or values.get("AWS_ENDPOINT_URL", "")
    if values.get("AWS_ACCESS_KEY_ID"):  # the stand-in's LocalStack key; never a real one
        live.made.s3_keys = [values["AWS_ACCESS_KEY_ID"], values.get("AWS_SECRET_ACCESS_KEY", "")]
    say(f"S3: {make_prefixes(live.made, spec, env.name, save)} prefix(es) {env.name}/ made")
    where = f"{env.state}/{generated.CLONES}"
    if can_clone() and not stand_in:
        say(f"Snowflake: {clone(live.made, spec, statements, save)} clone statement(s) run ({where})")
    elif stand_in:
        say(f"Snowflake: {len(statements)} statement(s) in {where}, not run: fakesnow ignores CLONE")
    else:
        say(f"Snowflake: {len(statements)} statement(s) in {where}, not run: no Snowflake login given")
    target.apply([labelled(d, env.name) for d in documents])
    say(f"applied {len(documents)} object(s) to namespace {live.namespace} on {target.context}")
    if wait:
        target.wait_healthy(policy.promotion.rollout_timeout)
    return live


def _platform_values(documents: list[dict[str, Any]]) -> dict[str, str]:
    for d in documents:
        if d.get("kind") == "ConfigMap" and d["metadata"]["name"] == "platform-values":
            return {str(k): str(v) for k, v in (d.get("data") or {}).items()}
    return {}


def _one_namespace(documents: list[dict[str, Any]]) -> str:
    spaces = {d["metadata"].get("namespace") for d in documents} - {None}
    if len(spaces) != 1:
        raise BadInput(
            "the generated overlay", f"renders {len(spaces)} namespaces", "Give the template one namespace"
        )
    return str(spaces.pop())


def _ttl(env: generated.Env) -> str:
    minutes = int((env.expires - env.created).total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def destroy(root: Path, policy: Policy, s: Settings, live: Live, target: Cluster) -> list[str]:
    """Remove everything create made (outside objects first: the namespace is their record)."""
    removed = remove(live.made, read_values(root, s.template))
    target.run("delete", "namespace", live.namespace, "--ignore-not-found", "--wait=true", timeout=600)
    shutil.rmtree(root / STATE_DIR / live.name, ignore_errors=True)
    return [*removed, f"namespace {live.namespace} and everything in it"]


def find(target: Cluster, name: str) -> Live:
    for live in environments(target):
        if live.name == name:
            return live
    raise BadInput(name, f"is no ephemeral environment on {target.context}", "parity env list shows them")


def reap(
    root: Path, policy: Policy, s: Settings, target: Cluster, now: datetime
) -> tuple[list[Live], list[Live]]:
    """Destroy every expired environment; returns (reaped, kept)."""
    reaped, kept = [], []
    for live in environments(target):
        if live.expires <= now:
            destroy(root, policy, s, live, target)
            reaped.append(live)
        else:
            kept.append(live)
    return reaped, kept
