"""`parity gate dags|schema [--env ENV]`: pre-promotion gates; each writes JSON evidence a release records.

The DAG gate loads every DAG with the airflow image's own venv (a subprocess), with the values of
the environment it is about to reach, and applies parity.gate_dags' rules plus ruff's AIR rules.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from parity import gate_contracts, gate_dags, gate_quality, gate_schema, gate_sources, sample_run
from parity.compat import jsonschema as jsonschema_compat
from parity.errors import FINDINGS, OK, BadInput, ParityError
from parity.gate_dags import GateFinding
from parity.invariants import values_of
from parity.kustomize import devenv
from parity.output import emit_json, write_atomic
from parity.policy import Policy
from parity.rendering import render
from parity.sample_run import workload_env

DAGS = Path("pipelines/dags")
PROBES = Path(__file__).resolve().parent.parent / "probes"
EVIDENCE = Path(".parity/evidence")


def _write_evidence(path: Path, document: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(document, indent=2, sort_keys=True) + "\n")


def probe_dags(root: Path, values: dict[str, str]) -> dict[str, Any]:
    python = devenv(root) / "venvs" / "airflow" / "bin" / "python"
    with tempfile.TemporaryDirectory(prefix="parity-airflow-") as home:
        env = workload_env(
            values,
            AIRFLOW_HOME=home,
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__UNIT_TEST_MODE="True",
            PYTHONPATH=f"{root}/pipelines/common:{root / DAGS}",
        )
        done = subprocess.run(
            [python, PROBES / "dag_probe.py", root / DAGS],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ParityError(
            "gate dags", f"the DAG probe failed in the airflow venv: {tail}", "Run with -v; check devenv"
        )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def ruff_air(root: Path) -> list[GateFinding]:
    ruff = Path(sys.executable).parent / "ruff"
    done = subprocess.run(
        [ruff, "check", "--select", "AIR", "--output-format", "json", "--no-cache", DAGS],
        cwd=root,
        capture_output=True,
        text=True,
    )
    return [
        GateFinding(
            "dags",
            f"{Path(item['filename']).relative_to(root)}:{item['location']['row']}",
            f"ruff-{item['code']}",
            item["message"],
        )
        for item in json.loads(done.stdout or "[]")
    ]


def dags_gate(root: Path, policy: Policy, env: str) -> tuple[list[GateFinding], dict[str, Any]]:
    values = values_of(render(root, env, validate=False).resources)
    probe = probe_dags(root, values)
    rules = policy.dag_gate
    findings = gate_dags.probe_findings(probe, rules.budget_seconds, set(rules.pools), set(rules.connections))
    for path in sorted((root / DAGS).glob("*.py")):
        findings += gate_dags.source_findings(path.relative_to(root).as_posix(), path.read_text())
    findings += ruff_air(root)
    slowest = max(probe["parse_seconds"].items(), key=lambda item: item[1], default=("", 0.0))
    summary = {
        "dags": len(probe["dags"]),
        "files": len(probe["parse_seconds"]),
        "import_errors": len(probe["import_errors"]),
        "parse_seconds_total": probe["total_seconds"],
        "slowest_file": {"file": slowest[0], "seconds": slowest[1]},
        "budget_seconds": rules.budget_seconds,
    }
    return findings, summary


SUBJECTS = Path("pipelines/schemas/subjects.yaml")
DBT_SOURCES = (Path("pipelines/dbt"), Path("pipelines/dbt_packages_vendor"))


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


def dbt_manifest(root: Path, ref: str | None, values: dict[str, str]) -> dict[str, Any]:
    """`dbt parse` (no warehouse connection) of the project at ref, with the dbt image's own venv."""
    dbt = devenv(root) / "venvs" / "dbt" / "bin" / "dbt"
    with tempfile.TemporaryDirectory(prefix="parity-dbt-") as tmp:
        work = Path(tmp)
        _export(root, ref, work)
        project = work / DBT_SOURCES[0]
        env = workload_env(
            values,
            # parity: allow secret -- dbt parse never connects; the profile only needs a value here
            DBT_ENV_SECRET_SNOWFLAKE_PASSWORD="parse-only",  # noqa: S106
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        )
        for args in (["deps"], ["parse"]):
            done = subprocess.run(
                [dbt, *args, "--profiles-dir", project, "--project-dir", project],
                cwd=project,
                capture_output=True,
                text=True,
                env=env,
                timeout=600,
            )
            if done.returncode != 0:
                tail = (done.stdout.strip().splitlines() or ["no output"])[-1]
                raise BadInput(
                    f"pipelines/dbt@{ref or 'work tree'}",
                    f"dbt {args[0]} failed: {tail}",
                    "Fix the dbt project",
                )
        return dict(json.loads((project / "target" / "manifest.json").read_text()))


def avro_compatibility(root: Path, pairs: list[tuple[Any, Any]]) -> list[bool]:
    """(reader, writer) pairs checked by the `avro` package of the streaming image's venv."""
    if not pairs:
        return []
    python = devenv(root) / "venvs" / "streaming" / "bin" / "python"
    done = subprocess.run(
        [python, PROBES / "avro_probe.py"],
        capture_output=True,
        text=True,
        timeout=300,
        input=json.dumps([{"reader": r, "writer": w} for r, w in pairs]),
    )
    if done.returncode != 0:
        raise ParityError(
            "gate schema", "the Avro probe failed in the streaming venv", "Run devenv/bootstrap"
        )
    return [bool(result["compatible"]) for result in json.loads(done.stdout)]


def schema_gate(root: Path, env: str, against: str) -> tuple[list[GateFinding], dict[str, Any]]:
    """dbt contracts against a baseline ref, then each event subject's history under its mode."""
    values = values_of(render(root, env, validate=False).resources)
    findings, notices = gate_contracts.compare(
        dbt_manifest(root, against, values), dbt_manifest(root, None, values)
    )
    spec = yaml.safe_load((root / SUBJECTS).read_text())["subjects"]
    checked = 0
    for subject, entry in sorted(spec.items()):
        mode = entry.get("compatibility", "BACKWARD")
        if mode not in gate_schema.MODES:
            raise BadInput(
                f"{SUBJECTS}",
                f"{subject}: unknown compatibility {mode!r}",
                f"Use one of {', '.join(sorted(gate_schema.MODES))}",
            )
        versions = list(entry["versions"])
        schemas = {v: json.loads((root / SUBJECTS.parent / v).read_text()) for v in versions}
        if entry["format"] == "avro":
            verdicts = avro_verdicts(root, versions, schemas, mode)
            findings += gate_schema.check_subject(
                subject,
                mode,
                versions,
                schemas,
                partial(_lookup, verdicts),
            )
        else:
            findings += gate_schema.check_subject(
                subject,
                mode,
                versions,
                schemas,
                lambda reader, writer: jsonschema_compat.backward_compatible(writer, reader),
            )
        checked += len(gate_schema.pairs(versions, mode))
    return findings, {
        "dbt_baseline": against,
        "deprecation_notices": notices,
        "subjects": len(spec),
        "version_pairs": checked,
        "spark_outputs_vs_dbt_sources": "checked by gate quality, which runs the jobs",
    }


def _lookup(verdicts: dict[tuple[str, str], bool], reader: Any, writer: Any) -> bool:
    return verdicts[(_key(reader), _key(writer))]


def _key(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True)


def avro_verdicts(
    root: Path, versions: list[str], schemas: dict[str, Any], mode: str
) -> dict[tuple[str, str], bool]:
    """Every (reader, writer) verdict the mode may ask for, from one probe run."""
    wanted = [
        (schemas[a], schemas[b])
        for old, new in gate_schema.pairs(versions, mode)
        for a, b in ((new, old), (old, new))
    ]
    results = avro_compatibility(root, wanted)
    return {(_key(r), _key(w)): ok for (r, w), ok in zip(wanted, results, strict=True)}


QUALITY_SPEC = Path("pipelines/spark/quality.yaml")
DBT_SOURCE_FILE = Path("pipelines/dbt/models/staging/__sources.yml")


def curated_sources(root: Path) -> dict[str, dict[str, str]]:
    """The dbt source `curated` (external tables over the Spark outputs): table -> column -> data_type."""
    sources = yaml.safe_load((root / DBT_SOURCE_FILE).read_text())["sources"]
    curated: dict[str, Any] = next((s for s in sources if s["name"] == "curated"), {"tables": []})
    return {t["name"]: {c["name"]: c["data_type"] for c in t.get("columns", [])} for t in curated["tables"]}


def quality_gate(root: Path, env: str) -> tuple[list[GateFinding], dict[str, Any]]:
    """dbt build (models and tests) on the sample in a throw-away schema, then every Spark job on
    the sample and the declarative checks on what they wrote."""
    values = values_of(render(root, env, validate=False).resources)
    jobs = sorted(
        p.stem.removeprefix("sparkapplication-") for p in (root / "k8s/base").glob("sparkapplication-*.yaml")
    )
    with tempfile.TemporaryDirectory(prefix="parity-quality-") as tmp:
        dbt = sample_run.dbt_build(root, values, Path(tmp) / "dbt")
        report, lake = sample_run.spark_jobs(root, values, jobs, Path(tmp) / "spark")
        tables = sample_run.read_curated(lake) if lake.is_dir() else {}
        written = sample_run.curated_schemas(lake) if lake.is_dir() else {}
    findings = [
        GateFinding("quality", r["unique_id"], f"dbt-{r['status']}", r["message"] or r["status"])
        for r in dbt["results"]
        if r["status"] not in {"success", "pass"}
    ]
    findings += [
        GateFinding("quality", job, "spark-job-failed", str(outcome.get("error", ""))[:300])
        for job, outcome in sorted(report.items())
        if not outcome["ok"]
    ]
    findings += gate_quality.check(yaml.safe_load((root / QUALITY_SPEC).read_text()), tables)
    findings += gate_sources.check(curated_sources(root), written)
    statuses = [r["status"] for r in dbt["results"]]
    return findings, {
        "dbt_schema": dbt["schema"],
        "dbt_models": sum(r["unique_id"].startswith("model.") for r in dbt["results"]),
        "dbt_tests": sum(r["unique_id"].startswith("test.") for r in dbt["results"]),
        "dbt_not_passing": sum(s not in {"success", "pass"} for s in statuses),
        "spark_jobs": len(report),
        "dbt_sources_checked_against_spark_outputs": len(curated_sources(root)),
        "spark_rows": {job: outcome.get("rows") for job, outcome in report.items()},
        "datasets_checked": len(tables),
    }


GATES = ("dags", "schema", "quality")


def all_gates(root: Path, policy: Policy, env: str, against: str) -> tuple[list[GateFinding], dict[str, Any]]:
    """Every gate in turn, with progress on stderr; none stops the others."""
    findings: list[GateFinding] = []
    summary: dict[str, Any] = {}
    for index, name in enumerate(GATES, 1):
        started = time.monotonic()
        print(f"[{index}/{len(GATES)}] gate {name} ...", file=sys.stderr, flush=True)
        try:
            found, summary[name] = one_gate(root, policy, name, env, against)
        except ParityError as exc:  # a gate that cannot run is a failed gate, and the others still run
            found, summary[name] = [GateFinding(name, name, "gate-error", str(exc))], {}
        findings += found
        verdict = "passed" if not found else f"{len(found)} failure(s)"
        print(
            f"[{index}/{len(GATES)}] gate {name}: {verdict} ({time.monotonic() - started:.1f}s)",
            file=sys.stderr,
            flush=True,
        )
        summary[name]["seconds"] = round(time.monotonic() - started, 2)
    return findings, summary


def one_gate(
    root: Path, policy: Policy, gate: str, env: str, against: str
) -> tuple[list[GateFinding], dict[str, Any]]:
    if gate == "dags":
        return dags_gate(root, policy, env)
    if gate == "schema":
        return schema_gate(root, env, against)
    if gate == "quality":
        return quality_gate(root, env)
    return all_gates(root, policy, env, against)


def run(
    root: Path,
    policy: Policy,
    gate: str,
    env: str | None,
    evidence: Path | None,
    output_format: str,
    against: str = "HEAD",
) -> int:
    target = env or policy.path[0]
    policy.require_env(target)
    started = time.monotonic()
    findings, summary = one_gate(root, policy, gate, target, against)
    document = {
        "gate": gate,
        "env": target,
        "ok": not findings,
        "seconds": round(time.monotonic() - started, 2),
        "summary": summary,
        "findings": [{"subject": f.subject, "rule": f.rule, "message": f.message} for f in findings],
    }
    _write_evidence(evidence or root / EVIDENCE / f"gate-{gate}-{target}.json", document)
    if output_format == "json":
        emit_json(document)
    else:
        for finding in findings:
            print(f"FAIL {finding}")
        verdict = "passed" if not findings else f"{len(findings)} failure(s)"
        if gate == "all":
            parts = ", ".join(f"{name} {summary[name].get('seconds', 0)}s" for name in GATES)
            print(f"gate all ({target}): {verdict} in {document['seconds']}s ({parts})")
        else:
            details = ", ".join(f"{k} {v}" for k, v in summary.items() if not isinstance(v, dict | list))
            print(f"gate {gate} ({target}): {verdict}; {details}")
        if "slowest_file" in summary:
            print(
                f"slowest file {summary['slowest_file']['file']}: {summary['slowest_file']['seconds']:.2f}s"
            )
        for notice in summary.get("deprecation_notices", []):
            print(f"NOTICE {notice}")
        for item in summary.get("not_yet_checked", []):
            print(f"not checked by this version: {item}")
    return FINDINGS if findings else OK
