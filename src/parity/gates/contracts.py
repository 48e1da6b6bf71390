"""Breaking changes of contracted dbt models between a baseline manifest and the current one. Pure.

Breaking: a contracted model's column removed (a rename is a removal plus an addition), its data
type changed, a constraint dropped, or a model removed while other models still reference it.
A new model version that leaves the old version in place is not breaking; it is reported as a
deprecation notice so consumers know to move.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from parity import loaders
from parity.devenv import user_cache, venv_bin
from parity.errors import BadInput
from parity.findings import Finding
from parity.gates.workloads import LogKeeper, workload_env
from parity.output import write_atomic

DBT_SOURCES = (Path("pipelines/dbt"), Path("pipelines/dbt_packages_vendor"))
DBT_LOCK = Path("lock/pdm.dbt.lock")  # the dbt that parses: part of a cached manifest's key


def _models(manifest: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") == "model":
            version = node.get("version")
            out[(node["name"], "" if version is None else str(version))] = node
    return out


def _referenced(manifest: Mapping[str, Any], unique_id: str) -> list[str]:
    return sorted(
        node["name"]
        for node in manifest.get("nodes", {}).values()
        if unique_id in node.get("depends_on", {}).get("nodes", [])
    )


def _constraints(column: Mapping[str, Any]) -> set[str]:
    return {str(c.get("type")) for c in column.get("constraints", [])}


def _normal(data_type: Any) -> str:
    return " ".join(str(data_type or "").lower().split())


def compare(baseline: Mapping[str, Any], current: Mapping[str, Any]) -> tuple[list[Finding], list[str]]:
    old, new = _models(baseline), _models(current)
    findings: list[Finding] = []
    notices: list[str] = []
    for (name, version), model in sorted(old.items()):
        if not model.get("config", {}).get("contract", {}).get("enforced"):
            continue
        label = f"{name}" + (f".v{version}" if version else "")
        match = new.get((name, version))
        if match is None and not version:
            match = new.get((name, "1"))  # versions added to a model: its first version carries it on
        if match is None:
            users = _referenced(current, model["unique_id"]) or [
                n["name"]
                for n in current.get("nodes", {}).values()
                if any(dep.split(".")[2:3] == [name] for dep in n.get("depends_on", {}).get("nodes", []))
            ]
            if users:
                findings.append(
                    Finding(
                        label,
                        "model-removed",
                        f"removed while {', '.join(sorted(set(users)))} still reference it",
                    )
                )
            continue
        later = sorted(v for (n, v) in new if n == name and v and v != (version or "1"))
        if later:
            notices.append(
                f"{label}: new version(s) {', '.join('v' + v for v in later)} beside it; "
                f"consumers should move before {match.get('deprecation_date') or 'its deprecation'}"
            )
        columns_new = {c.lower(): col for c, col in match.get("columns", {}).items()}
        for column_name, column in sorted(model.get("columns", {}).items()):
            now = columns_new.get(column_name.lower())
            subject = f"{label}.{column_name}"
            if now is None:
                findings.append(
                    Finding(
                        subject,
                        "column-removed",
                        "a contracted column was removed or renamed; add a model version instead",
                    )
                )
                continue
            if _normal(column.get("data_type")) != _normal(now.get("data_type")):
                findings.append(
                    Finding(
                        subject,
                        "type-changed",
                        f"data_type {column.get('data_type')} -> {now.get('data_type')}",
                    )
                )
            dropped = _constraints(column) - _constraints(now)
            if dropped:
                findings.append(
                    Finding(
                        subject,
                        "constraint-dropped",
                        f"constraint(s) {', '.join(sorted(dropped))} dropped",
                    )
                )
    return [Finding(f.subject, f.rule, f.message, scope="schema") for f in findings], notices


def _export(root: Path, ref: str | None, into: Path) -> None:
    """The dbt project as committed at `ref`, or as in the work tree when ref is None."""
    if ref is None:
        for source in DBT_SOURCES:
            shutil.copytree(
                root / source,
                into / source,
                ignore=shutil.ignore_patterns("target", "dbt_packages", "logs", "*.csv"),
            )
        return
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, *map(str, DBT_SOURCES)], cwd=root, capture_output=True
    )
    if archive.returncode != 0:
        raise BadInput(
            ref,
            f"git cannot read the dbt project at this ref ({archive.stderr.decode().strip()[:200]})",
            "Pass --against a commit, branch or tag of this repository",
        )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)


def _manifest_key(root: Path, work: Path, values: dict[str, str]) -> str:
    """What a `dbt parse` reads: the exported project's files, the values, and the locked dbt."""
    digest = hashlib.sha256(b"dbt-manifest/1\0" + (root / DBT_LOCK).read_bytes())
    digest.update(json.dumps(values, sort_keys=True).encode())
    for path in sorted(p for p in work.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(work)}\0".encode() + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def manifest(root: Path, ref: str | None, values: dict[str, str], logs: LogKeeper) -> dict[str, Any]:
    """`dbt parse` (no warehouse connection) of the project at ref, with the dbt image's own venv.
    The manifest is kept in the machine's cache by the hash of what the parse read, so the baseline
    a pull request is compared against is parsed once, not on every run of the gate."""
    with tempfile.TemporaryDirectory(prefix="parity-dbt-") as tmp:
        work = Path(tmp)
        _export(root, ref, work)
        cached = user_cache() / "dbt-manifests" / f"{_manifest_key(root, work, values)}.json"
        if cached.is_file():
            with contextlib.suppress(OSError, ValueError):
                earlier: dict[str, Any] = json.loads(cached.read_text())
                return earlier
        project = work / DBT_SOURCES[0]
        env = workload_env(
            values,
            # parity: allow secret -- dbt parse never connects; the profile only needs a value here
            DBT_ENV_SECRET_SNOWFLAKE_PASSWORD="parse-only",  # noqa: S106
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        )
        for args in (["deps"], ["parse"]):
            done = subprocess.run(
                [venv_bin(root, "dbt", "dbt"), *args, "--profiles-dir", project, "--project-dir", project],
                cwd=project,
                capture_output=True,
                text=True,
                env=env,
                timeout=600,
            )
            if done.returncode != 0:
                kept = logs.keep_output(f"dbt-{args[0]}-{ref or 'worktree'}", done)
                tail = (done.stdout.strip().splitlines() or ["no output"])[-1]
                raise BadInput(
                    f"pipelines/dbt@{ref or 'work tree'}",
                    f"dbt {args[0]} failed: {tail}",
                    f"Fix the dbt project (full output: {kept})",
                )
        document = loaders.load_json(project, Path("target/manifest.json"))
        parsed = dict(document) if isinstance(document, dict) else {}
        with contextlib.suppress(OSError):  # a read-only home: no cache, same verdicts
            write_atomic(cached, json.dumps(parsed))
        return parsed
