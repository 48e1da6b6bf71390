"""`parity check [ENV ...]`: every adjacent pair on the promotion path (and each mirror against its
original), the per-environment invariants and the repository locks; one report, one exit code."""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from parity import diffing, image_inputs, invariants
from parity.commands.lint import lint_rendered, lint_sources
from parity.errors import FINDINGS, OK
from parity.invariants import Finding
from parity.output import emit_json
from parity.policy import Policy
from parity.rendering import read_values, render_all
from parity.report import colour, finding_dict, finding_line, summary_line
from parity.toolcheck import read_checksums

SPARK_JARS_LOCK = "lock/spark-jars.lock"
DBT_PROJECT = Path("pipelines/dbt")


def _related(policy: Policy, a: str, b: str) -> bool:
    return policy.mirrors.get(a) == b or policy.mirrors.get(b) == a


def repository_findings(root: Path) -> list[Finding]:
    """Locks shared by every environment: image build inputs and the dbt package lock."""
    out = [
        Finding(
            "image-lock-fresh",
            "repo",
            f"lock/images.lock.json#{name}",
            "build_input_hash",
            f"inputs changed ({actual[:19]}...) but the lock says {locked[:19]}...; run scripts/lock-images",
        )
        for name, (locked, actual) in image_inputs.stale(root).items()
    ]
    packages = yaml.safe_load((root / DBT_PROJECT / "packages.yml").read_text()).get("packages", [])
    lock_file = root / DBT_PROJECT / "package-lock.yml"
    locked = yaml.safe_load(lock_file.read_text()).get("packages", []) if lock_file.is_file() else []
    strip = [{k: v for k, v in p.items() if k != "name"} for p in locked]
    if strip != packages:
        out.append(
            Finding(
                "dbt-package-lock",
                "repo",
                str(DBT_PROJECT / "package-lock.yml"),
                "packages",
                "does not match packages.yml; run dbt deps and commit package-lock.yml",
            )
        )
    return out


def run(root: Path, policy: Policy, envs: list[str], output_format: str) -> int:
    started = time.monotonic()
    for env in envs:
        policy.require_env(env)
    selected = tuple(envs) or policy.environments
    values = {env: read_values(root, env) for env in selected}
    # The repository lint (mostly detect-secrets) runs beside rendering, which waits on subprocesses.
    linting = ThreadPoolExecutor(max_workers=1).submit(lint_sources, root, policy, []) if not envs else None
    findings = invariants.check_values_keys(values)
    incomplete = {f.env for f in findings}
    rendered = render_all(root, [e for e in selected if e not in incomplete])
    lock = json.loads((root / image_inputs.LOCK).read_text())["images"]
    jars = set(read_checksums(root / SPARK_JARS_LOCK))
    env_values = {env: invariants.values_of(r.resources) for env, r in rendered.items()}
    for env, r in rendered.items():
        findings += [Finding("kubeconform", env, p.resource, "", p.message) for p in r.invalid]
        findings += invariants.check_images(env, r.resources, lock)
        findings += invariants.check_spark_jars(env, r.resources, jars)
        others = {o: v for o, v in env_values.items() if o != env and not _related(policy, env, o)}
        findings += invariants.check_cross_env(env, r.resources, others, policy)
    allowed: dict[str, int] = {}
    pairs: dict[str, dict[str, Any]] = {}
    for a, b in policy.pairs(selected):
        if a in rendered and b in rendered:
            differences = diffing.diff(rendered[a].resources, rendered[b].resources)
            violations, counts = invariants.classify(f"{a}->{b}", differences, policy)
            findings += violations
            pairs[f"{a}->{b}"] = {"violations": len(violations), "allowed": counts}
            for rule, count in counts.items():
                allowed[rule] = allowed.get(rule, 0) + count
    findings += repository_findings(root)
    if linting is not None:  # the lint covers the repository: only a check of every environment runs it
        lint_findings = linting.result()[0] + lint_rendered({env: r.text for env, r in rendered.items()})
        findings += [
            Finding(f"lint/{f.rule}", "repo", f.path, f"line {f.line}", f.message) for f in lint_findings
        ]
    seconds = round(time.monotonic() - started, 2)
    if output_format == "json":
        emit_json(
            {
                "ok": not findings,
                "environments": list(selected),
                "pairs": pairs,
                "resources": {env: len(r.resources) for env, r in rendered.items()},
                "allowed": allowed,
                "violations": [finding_dict(f) for f in findings],
                "seconds": seconds,
            }
        )
    else:
        paint = colour(sys.stdout)
        for f in findings:
            print(finding_line(f, paint))
        for pair, result in pairs.items():
            print(f"{pair}: {summary_line(result['allowed'], result['violations'])}")
        sizes = ", ".join(f"{env} {len(r.resources)}" for env, r in rendered.items())
        print(
            f"parity check of {', '.join(selected)} ({sizes} resources, {seconds}s): "
            f"{summary_line(allowed, len(findings))}"
        )
    return FINDINGS if findings else OK
