"""`parity lint [PATH ...]`: environment branches, environment literals, secrets and value wiring
across the repository (and, with no PATH, the rendered output of every environment)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from parity import lint
from parity.diffing import flatten
from parity.errors import FINDINGS, OK, BadInput
from parity.lint import LintFinding, Suppression, Vocabulary, is_reference
from parity.output import emit_json
from parity.policy import Policy
from parity.rendering import read_values, render_all

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
# Outside git (a copied tree), what .gitignore keeps out of git stays out of the scan: the
# toolchain, build outputs (image layouts, evidence) and caches.
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
    }
    values: dict[str, tuple[str, str]] = {}
    for env, leaves in flat.items():
        for key, value in leaves.items():
            differs = len({other.get(key) for other in flat.values()}) > 1
            if differs and len(value) >= policy.identifier_min_length:
                values.setdefault(value, (env, key))
    names = frozenset({*(e.lower() for e in policy.environments), *NAME_ALIASES})
    return Vocabulary(names, values)


def wiring(root: Path, policy: Policy) -> list[LintFinding]:
    component = yaml.safe_load((root / ENV_VALUES_COMPONENT).read_text())
    sources = {
        r["source"]["fieldPath"]
        for r in component.get("replacements", [])
        if r["source"].get("kind") == "PlatformValues"
    }
    targets = {
        path.split(".", 1)[1]
        for r in component.get("replacements", [])
        for t in r.get("targets", [])
        if t["select"].get("name") == "platform-values"
        for path in t.get("fieldPaths", [])
    }
    base = yaml.safe_load((root / BASE_KUSTOMIZATION).read_text())
    keys = [
        literal.split("=", 1)[0]
        for generator in base.get("configMapGenerator", [])
        if generator.get("name") == "platform-values"
        for literal in generator.get("literals", [])
    ]
    out = []
    for env in policy.environments:
        values_path = f"overlays/{env}/values.yaml"
        out += lint.wiring_findings(
            values_path,
            (root / values_path).read_text(),
            flatten(read_values(root, env)),
            sources,
            str(BASE_KUSTOMIZATION),
            keys if env == policy.path[0] else [],
            targets,
        )
    return out


def detect_secrets(root: Path, names: list[str]) -> list[LintFinding]:
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings

    collection = SecretsCollection(root=str(root))
    with default_settings():
        collection.scan_files(*names, num_processors=2)
    out = []
    for filename, secret in collection:
        if secret.type == "Secret Keyword":
            lines = (root / filename).read_text().splitlines()
            if is_reference(lines[secret.line_number - 1]):
                continue  # e.g. `secretKey: DBT_ENV_SECRET_SNOWFLAKE_PASSWORD` names a secret
        out.append(LintFinding(filename, secret.line_number, "secret", f"detect-secrets: {secret.type}"))
    return out


def scan_file(name: str, text: str, vocab: Vocabulary) -> list[LintFinding]:
    out = lint.own_secret_findings(name, text)
    if name.startswith(("k8s/", "overlays/")):
        out += lint.secret_resource_findings(name, text)
    if not name.startswith(ENV_RULE_ROOTS):
        return out
    if name.endswith(".py") or name.endswith("Tiltfile"):
        out += lint.python_findings(name, text, vocab)
    elif name.startswith("pipelines/dbt") and name.endswith((".sql", ".yml")):
        out += lint.jinja_findings(
            name, text, vocab, may_read_target_name=name.endswith("generate_schema_name.sql")
        )
        out += lint.text_literal_findings(name, text, vocab)
    elif name.endswith((".yaml", ".yml", ".json", ".avsc", ".toml", ".sh")) or "/scripts/" in f"/{name}":
        out += lint.text_literal_findings(name, text, vocab)
    return out


def lint_sources(
    root: Path, policy: Policy, paths: list[Path]
) -> tuple[list[LintFinding], list[Suppression]]:
    """Every rule over the repository's files (all of them, or those under `paths`)."""
    vocab = vocabulary(root, policy)
    names = [
        n for n in tracked_files(root, paths) if not n.endswith(NOT_SCANNED) and not n.startswith("tests/")
    ]
    findings: list[LintFinding] = []
    allowed: list[Suppression] = []
    texts: dict[str, str] = {}
    for name in names:
        try:
            texts[name] = (root / name).read_text()
        except UnicodeDecodeError:
            continue
        if not name.endswith(".md"):  # documentation shows the suppression syntax; it suppresses nothing
            found, bad = lint.suppressions(name, texts[name])
            allowed += found
            findings += bad
        findings += scan_file(name, texts[name], vocab)
    findings += detect_secrets(root, list(texts))
    if not paths:
        findings += wiring(root, policy)
    kept, used = lint.apply(findings, allowed)
    return sorted(set(kept), key=lambda f: (f.path, f.line, f.rule)), used


def lint_rendered(rendered: Mapping[str, str]) -> list[LintFinding]:
    """Secrets in what would be applied: the rendered output of each environment."""
    out = []
    for env, text in rendered.items():
        source = f"(rendered {env})"
        out += lint.own_secret_findings(source, text) + lint.secret_resource_findings(source, text)
    return out


def lint_repository(
    root: Path, policy: Policy, paths: list[Path]
) -> tuple[list[LintFinding], list[Suppression]]:
    findings, used = lint_sources(root, policy, paths)
    if not paths:
        rendered = render_all(root, list(policy.environments), validate=False)
        findings += lint_rendered({env: r.text for env, r in rendered.items()})
    return findings, used


def report(findings: Iterable[LintFinding], used: list[Suppression], output_format: str) -> int:
    findings = list(findings)
    if output_format == "json":
        emit_json(
            {
                "ok": not findings,
                "findings": [
                    {"path": f.path, "line": f.line, "rule": f.rule, "message": f.message} for f in findings
                ],
                "suppressions": [
                    {"path": s.path, "line": s.line, "rule": s.rule, "reason": s.reason} for s in used
                ],
            }
        )
    else:
        for finding in findings:
            print(finding)
        for s in used:
            print(f"suppressed {s.path}:{s.line}: {s.rule} -- {s.reason}", file=sys.stderr)
        print(f"parity lint: {len(findings)} finding(s), {len(used)} suppression(s)", file=sys.stderr)
    return FINDINGS if findings else OK


def run(root: Path, policy: Policy, paths: list[Path], output_format: str) -> int:
    relative = []
    for path in paths:
        absolute = path.resolve()
        if not absolute.exists():
            raise BadInput(str(path), "does not exist", "Pass files or directories inside the repository")
        try:
            relative.append(absolute.relative_to(root))
        except ValueError:
            raise BadInput(str(path), "is outside the repository", f"Pass paths under {root}") from None
    findings, used = lint_repository(root, policy, relative)
    return report(findings, used, output_format)
