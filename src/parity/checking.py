"""The CI gate's work: render every selected environment, diff each adjacent pair on the promotion
path (and each mirror against its original), check the per-environment invariants and the
repository locks, and lint the repository beside the renders (the lint is mostly CPU in other
processes; rendering waits on kustomize)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parity import argv_check, diffing, image_inputs, invariants, kubeconform, launches, loaders
from parity.findings import Finding
from parity.infra import aws
from parity.infra import rules as infra_rules
from parity.invariants import violation
from parity.lint.repository import lint_rendered, lint_sources
from parity.policy import Policy
from parity.rendering import read_values, render_all
from parity.validate import policies as masking_policies
from parity.validate import topics

SPARK_JARS_LOCK = Path("lock/spark-jars.lock")
DBT_PROJECT = Path("pipelines/dbt")


@dataclass
class Report:
    environments: tuple[str, ...]
    findings: list[Finding] = field(default_factory=list)
    pairs: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, int] = field(default_factory=dict)
    allowed: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _packages(root: Path, name: str) -> list[Any]:
    relative = DBT_PROJECT / name
    if not (root / relative).is_file() and name == "package-lock.yml":
        return []
    document = loaders.Fields(loaders.load_yaml(root, relative) or {}, str(relative))
    items = document.get("packages", list, [])
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise document.error(f"packages[{index}]", "must be a mapping (package:, version:)")
    return list(items)


def repository_findings(root: Path, current: dict[str, str]) -> list[Finding]:
    """Locks shared by every environment: image build inputs and the dbt package lock."""
    out = [
        violation(
            "image-lock-fresh",
            "repo",
            f"lock/images.lock.json#{name}",
            "build_input_hash",
            f"inputs changed ({actual[:19]}...) but the lock says {locked[:19]}...; run scripts/lock-images",
        )
        for name, (locked, actual) in image_inputs.stale(root, current).items()
    ]
    locked = [{k: v for k, v in p.items() if k != "name"} for p in _packages(root, "package-lock.yml")]
    if locked != _packages(root, "packages.yml"):
        out.append(
            violation(
                "dbt-package-lock",
                "repo",
                str(DBT_PROJECT / "package-lock.yml"),
                "packages",
                "does not match packages.yml; run dbt deps and commit package-lock.yml",
            )
        )
    return out


def _related(policy: Policy, a: str, b: str) -> bool:
    """A mirror and its original, or two mirrors of one original, may share identifiers."""
    ma, mb = policy.mirrors.get(a), policy.mirrors.get(b)
    return ma == b or mb == a or (ma is not None and ma == mb)


def check(root: Path, policy: Policy, envs: list[str]) -> Report:
    started = time.monotonic()
    for env in envs:
        policy.require_env(env)
    report = Report(tuple(envs) or policy.environments)
    values = {env: read_values(root, policy.values_env(env)) for env in report.environments}
    # Every input is read (and rejected if malformed) before any work starts.
    lock = image_inputs.locked_images(root)
    jars = set(loaders.load_checksums(root / SPARK_JARS_LOCK, str(SPARK_JARS_LOCK)))
    current = image_inputs.current_hashes(root)  # rule 2's lock freshness and rule 7's cache key
    repository = repository_findings(root, current) + masking_policies.findings(root)
    own = {e: values[e] for e in report.environments if e == policy.values_env(e)}
    repository += topics.findings(own) + infra_rules.findings(
        own, policy, lambda a, b: _related(policy, a, b)
    )
    placeholders = aws.secret_names(root)
    with ThreadPoolExecutor(max_workers=2) as background:
        lint = background.submit(lint_sources, root, policy, []) if not envs else None
        findings = invariants.check_values_keys(values)
        incomplete = {f.scope for f in findings}
        rendered = render_all(root, [e for e in report.environments if e not in incomplete], validate=False)
        # kubeconform (its own process, every core) validates while this thread diffs.
        validation = background.submit(
            kubeconform.validate, root, {env: r.text for env, r in rendered.items()}
        )
        env_values = {env: invariants.values_of(r.resources) for env, r in rendered.items()}
        started_images = argv_check.locked_images(root, lock)
        launched: list[launches.Launch] = []
        for env, r in rendered.items():
            launched += launches.launches(env, r.resources, started_images)
            findings += invariants.check_images(env, r.resources, lock)
            findings += invariants.check_spark_jars(env, r.resources, jars)
            findings += infra_rules.secrets_declared(env, r.resources, placeholders)
            others = {o: v for o, v in env_values.items() if o != env and not _related(policy, env, o)}
            findings += invariants.check_cross_env(env, r.resources, others, policy)
        for a, b in policy.pairs(report.environments):
            if a in rendered and b in rendered:
                differences = diffing.diff(rendered[a].resources, rendered[b].resources)
                violations, counts = invariants.classify(f"{a}->{b}", differences, policy.for_pair(a, b))
                findings += violations
                report.pairs[f"{a}->{b}"] = {"violations": len(violations), "allowed": counts}
                for rule, count in counts.items():
                    report.allowed[rule] = report.allowed.get(rule, 0) + count
        findings += argv_check.findings(launched, argv_check.Parser(root, started_images, current))
        invalid = validation.result()
        findings = [
            violation("kubeconform", env, p.resource, "", p.message)
            for env in rendered
            for p in invalid.get(env, [])
        ] + findings
        findings += repository
        if lint is not None:  # the lint covers the repository: only a check of every environment runs it
            lint_findings = lint.result()[0] + lint_rendered({env: r.text for env, r in rendered.items()})
            findings += [
                violation(f"lint/{f.rule}", "repo", f.subject, f"line {f.line}", f.message)
                for f in lint_findings
            ]
    report.findings = findings
    report.resources = {env: len(r.resources) for env, r in rendered.items()}
    report.seconds = round(time.monotonic() - started, 2)
    return report
