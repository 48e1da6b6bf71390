"""Edge: lint the repository's files and every environment's rendered output.

Which files: the text files git tracks (all files under the paths outside a git checkout, minus
the toolchain, build outputs and caches). Each file's result depends only on its text and on the
environments' values, so it is cached by content in the user's cache directory (never in the work
tree): after a one-file change, one file is scanned again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import subprocess
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from parity import loaders
from parity.devenv import user_cache
from parity.diffing import flatten
from parity.findings import Finding, sort_key
from parity.infra.aws import VALUES_READ
from parity.lint import rules, secrets, suppress
from parity.lint.rules import Vocabulary
from parity.lint.suppress import Suppression
from parity.output import write_atomic
from parity.policy import Policy
from parity.rendering import read_values
from parity.validate import topics

# Values that are parity's to read (topic and infrastructure declarations), not a workload's.
PARITY_READS = (f"{topics.SECTION}.", *VALUES_READ)

NAME_ALIASES = {"production", "prd", "stg", "stage", "development", "uat", "qa", "test-env"}
# Workload code and manifests: where environment names and values must never appear.
ENV_RULE_ROOTS = ("pipelines/", "k8s/", "images/", "scripts/", "Tiltfile")
# Hash-pinned lock files are high-entropy by design; they are verified, not scanned.
NOT_SCANNED = (
    ".lock",
    "go.sum",
    ".sha256",
    "lock/requirements/",
    "lock/images.lock.json",
    "lock/images-base.lock.json",
    "lock/tools.lock.toml",
    "package-lock.yml",
)
UNTRACKED_DIRS = frozenset(
    {
        ".devenv",
        ".git",
        ".parity",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".hypothesis",
    }
)
ENV_VALUES_COMPONENT = Path("k8s/components/env-values/kustomization.yaml")
BASE_KUSTOMIZATION = Path("k8s/base/kustomization.yaml")
RULESET = "lint/2"  # bump when a rule changes: every cached result is discarded


def tracked_files(root: Path, paths: list[Path]) -> list[str]:
    done = subprocess.run(["git", "ls-files", "-z", *[str(p) for p in paths]], cwd=root, capture_output=True)
    if done.returncode == 0:
        names = [n for n in done.stdout.decode().split("\0") if n]
    else:  # not a git checkout: every file under the given paths
        bases = [root / p for p in paths] or [root]
        names = [
            p.relative_to(root).as_posix()
            for b in bases
            for p in ([b] if b.is_file() else b.rglob("*"))
            if p.is_file() and not UNTRACKED_DIRS.intersection(p.relative_to(root).parts)
        ]
    return sorted(n for n in names if (root / n).is_file())


def vocabulary(root: Path, policy: Policy) -> Vocabulary:
    """Environment names, and every value that differs between environments (so it identifies one)."""
    flat = {
        env: {k: v for k, v in flatten(read_values(root, env)).items() if isinstance(v, str)}
        for env in policy.environments
        if policy.values_env(env) == env
    }
    values: dict[str, tuple[str, str]] = {}
    for env, leaves in flat.items():
        for key, value in leaves.items():
            differs = len({other.get(key) for other in flat.values()}) > 1
            if differs and len(value) >= policy.identifier_min_length:
                values.setdefault(value, (env, key))
    names = frozenset({*(e.lower() for e in policy.environments), *NAME_ALIASES})
    return Vocabulary(names, values)


def wiring(root: Path, policy: Policy) -> list[Finding]:
    component = loaders.Fields(loaders.load_yaml(root, ENV_VALUES_COMPONENT), str(ENV_VALUES_COMPONENT))
    replacements = [
        loaders.Fields(r, str(ENV_VALUES_COMPONENT), prefix="replacements")
        for r in component.get("replacements", list, [])
    ]
    sources = {
        r.table("source").string("fieldPath")
        for r in replacements
        if r.table("source").get("kind", str, "") == "PlatformValues"
    }
    targets = {
        path.split(".", 1)[1]
        for r in replacements
        for t in r.get("targets", list, [])
        if loaders.Fields(t, str(ENV_VALUES_COMPONENT), prefix="targets").table("select").get("name", str, "")
        == "platform-values"
        for path in loaders.Fields(t, str(ENV_VALUES_COMPONENT), prefix="targets").strings("fieldPaths", [])
    }
    base = loaders.Fields(loaders.load_yaml(root, BASE_KUSTOMIZATION), str(BASE_KUSTOMIZATION))
    keys = [
        str(literal).split("=", 1)[0]
        for generator in base.get("configMapGenerator", list, [])
        if isinstance(generator, dict) and generator.get("name") == "platform-values"
        for literal in generator.get("literals", [])
    ]
    out = []
    for env in policy.environments:
        if policy.values_env(env) != env:
            continue  # it uses another environment's values file, checked as that one
        values_path = f"overlays/{env}/values.yaml"
        out += rules.wiring_findings(
            values_path,
            (root / values_path).read_text(),
            [k for k in flatten(read_values(root, env)) if not k.startswith(PARITY_READS)],
            sources,
            str(BASE_KUSTOMIZATION),
            keys if env == policy.path[0] else [],
            targets,
        )
    return out


def scan_file(name: str, text: str, vocab: Vocabulary) -> list[Finding]:
    out = secrets.own_secret_findings(name, text)
    if name.startswith(("k8s/", "overlays/")):
        out += secrets.secret_resource_findings(name, text)
    if not name.startswith(ENV_RULE_ROOTS):
        return out
    if name.endswith(".py") or name.endswith("Tiltfile"):
        out += rules.python_findings(name, text, vocab)
    elif name.startswith("pipelines/dbt") and name.endswith((".sql", ".yml")):
        out += rules.jinja_findings(
            name, text, vocab, may_read_target_name=name.endswith("generate_schema_name.sql")
        )
        out += rules.text_literal_findings(name, text, vocab)
    elif name.endswith((".yaml", ".yml", ".json", ".avsc", ".toml", ".sh")) or "/scripts/" in f"/{name}":
        out += rules.text_literal_findings(name, text, vocab)
    return out


def _lint_files(root: Path, names: list[str], vocab: Vocabulary) -> dict[str, dict[str, Any]]:
    """Every rule over `names` (one worker's share): {name: {"findings": [...], "suppressions": [...]}}."""
    from detect_secrets.settings import default_settings

    out: dict[str, dict[str, Any]] = {}
    with default_settings():
        for name in names:
            try:
                text = (root / name).read_text()
            except (UnicodeDecodeError, OSError):
                out[name] = {"findings": [], "suppressions": []}
                continue
            allowed: list[Suppression] = []
            findings: list[Finding] = []
            if not name.endswith(".md"):  # documentation shows the syntax; it suppresses nothing
                allowed, findings = suppress.suppressions(name, text)
            findings += scan_file(name, text, vocab)
            findings += secrets.detect_secrets_findings(name, text, secrets.detect_secrets_file(root, name))
            out[name] = {
                "findings": [asdict(f) for f in findings],
                "suppressions": [asdict(s) for s in allowed],
            }
    return out


def _cache_file(root: Path) -> Path:
    return user_cache() / "lint" / f"{hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]}.json"


def _cache_key(vocab: Vocabulary) -> str:
    from importlib.metadata import version

    seed = json.dumps([RULESET, version("detect-secrets"), sorted(vocab.names), sorted(vocab.values.items())])
    return hashlib.sha256(seed.encode()).hexdigest()


def lint_sources(root: Path, policy: Policy, paths: list[Path]) -> tuple[list[Finding], list[Suppression]]:
    """Every rule over the repository's files (all of them, or those under `paths`)."""
    vocab = vocabulary(root, policy)
    names = [
        n for n in tracked_files(root, paths) if not n.endswith(NOT_SCANNED) and not n.startswith("tests/")
    ]
    digests = {n: hashlib.sha256((root / n).read_bytes()).hexdigest() for n in names}
    cache_path, key = _cache_file(root), _cache_key(vocab)
    try:
        cached = json.loads(cache_path.read_text())
        files: dict[str, Any] = cached["files"] if cached.get("key") == key else {}
    except (OSError, ValueError, KeyError, TypeError):
        files = {}
    todo = [n for n in names if files.get(n, {}).get("sha256") != digests[n]]
    if todo:
        halves = [todo[0::2], todo[1::2]] if len(todo) > 40 else [todo]
        with ProcessPoolExecutor(max_workers=len(halves)) as pool:
            for result in pool.map(_lint_files, [root] * len(halves), halves, [vocab] * len(halves)):
                for name, entry in result.items():
                    files[name] = {**entry, "sha256": digests[name]}
        with contextlib.suppress(OSError):  # a read-only home: no cache, same verdicts
            write_atomic(cache_path, json.dumps({"key": key, "files": {n: files[n] for n in names}}))
    findings = [Finding(**f) for n in names for f in files[n]["findings"]]
    allowed = [Suppression(**s) for n in names for s in files[n]["suppressions"]]
    if not paths:
        findings += wiring(root, policy)
    kept, used = suppress.apply(findings, allowed)
    return sorted(set(kept), key=sort_key), used


def lint_rendered(rendered: Mapping[str, str]) -> list[Finding]:
    """Secrets in what would be applied: the rendered output of each environment."""
    out = []
    for env, text in rendered.items():
        source = f"(rendered {env})"
        out += secrets.own_secret_findings(source, text) + secrets.secret_resource_findings(source, text)
    return out
