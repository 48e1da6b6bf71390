"""Ephemeral environments: `parity env create NAME --from ENV`, list, destroy and reap.

An ephemeral environment is generated from the ephemeral template (overlays/ephemeral, in dev's
AWS account) under a name of its own: its overlay is written to .parity/envs/NAME (never
committed), and what it makes outside the cluster is recorded on its namespace, so that any
machine with the cluster's context can list, destroy and reap it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from parity import loaders
from parity.errors import BadInput
from parity.policy import POLICY_FILE, Policy, duration

STATE_DIR = Path(".parity/envs")
NAME = re.compile(r"^[a-z][a-z0-9-]{0,18}[a-z0-9]$")
# Labels and annotations on every ephemeral namespace (and the TTL on every object).
PREFIX = "parity.finsight.io/"
EPHEMERAL_LABEL = PREFIX + "ephemeral"
EXPIRES = PREFIX + "expires-at"
CREATED = PREFIX + "created-at"
TTL = PREFIX + "ttl"
SOURCE = PREFIX + "from"
RATE = PREFIX + "cost-per-hour"
MADE = PREFIX + "made"


@dataclass(frozen=True)
class Rates:
    """USD per hour of what an environment holds: its pods' requests and its warehouse."""

    cpu_core_hour: float = 0.04456
    memory_gib_hour: float = 0.00489
    credit: float = 3.0


@dataclass(frozen=True)
class Settings:
    template: str = "ephemeral"
    context: str = ""  # the cluster they run in (default: promotion.contexts of the one the template mirrors)
    default_ttl: timedelta = timedelta(hours=8)
    max_ttl: timedelta = timedelta(hours=72)
    rates: Rates = Rates()


def settings(root: Path, policy: Policy) -> Settings:
    """parity.toml's [ephemeral] table (every key optional)."""
    text = loaders.read_text(root / POLICY_FILE, POLICY_FILE)
    data = loaders.Fields(loaders.parse_toml(text, POLICY_FILE), POLICY_FILE, text)
    table = data.table("ephemeral", {})
    template = table.string("template", "ephemeral")
    if template not in policy.mirrors:
        raise table.error("ephemeral.template", "must name an environment under [environments]")
    ttls = []
    for key, default in (("default_ttl", "8h"), ("max_ttl", "72h")):
        found = duration(table.string(key, default))
        if found is None:
            raise table.error(f"ephemeral.{key}", "must be a duration like 30m, 8h or 3d")
        ttls.append(found)
    cost = table.table("cost", {})
    rates = Rates(*(float(cost.get(key, (int, float), default)) for key, default in vars(Rates()).items()))
    context = table.string("context", policy.promotion.contexts.get(policy.mirrors[template], ""))
    return Settings(template, context, ttls[0], ttls[1], rates)


def require_name(name: str, policy: Policy) -> str:
    if not NAME.match(name):
        raise BadInput(
            name,
            "is not an ephemeral environment name",
            "Use 2-20 lowercase letters, digits and dashes, starting with a letter (e.g. pr-1234)",
        )
    if name in policy.environments:
        raise BadInput(name, "is one of parity.toml's environments", "Pick a name of its own (e.g. pr-1234)")
    return name


def require_ttl(text: str | None, s: Settings) -> timedelta:
    if text is None:
        return s.default_ttl
    found = duration(text)
    if found is None or not found or found > s.max_ttl:
        raise BadInput(
            f"--ttl {text}",
            "is not a duration up to the maximum",
            f"Give one like 30m or 8h, at most {s.max_ttl} (ephemeral.max_ttl in parity.toml)",
        )
    return found
