"""The DAG health gate. Its rules are pure (they read the probe's output and the sources); its
edge loads every DAG with the airflow image's own venv (probes/dag_probe.py, a subprocess) and runs
ruff's AIR rules.

Per file: import errors (with the exception's last line), parse time over budget, and top-level
Variable/connection/network use; per DAG: owner, retries, tags, an explicit schedule, catchup off,
pools and connections the environment does not declare. Cycles surface as import errors.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from parity.devenv import venv_bin
from parity.errors import ParityError
from parity.findings import Finding
from parity.gates.workloads import PROBES, LogKeeper, workload_env
from parity.policy import DagGate

DAGS = Path("pipelines/dags")

TOP_LEVEL_CALLS = {
    "Variable.get": "reads an Airflow Variable at parse time (a metadata DB query per parse)",
    "get_connection": "looks up a connection at parse time",
    "requests.get": "calls the network at parse time",
    "requests.post": "calls the network at parse time",
    "urlopen": "calls the network at parse time",
    "boto3.client": "creates an AWS client at parse time",
    "boto3.resource": "creates an AWS client at parse time",
    "create_connection": "opens a socket at parse time",
}
DAG_CONSTRUCTORS = {"DAG", "dag"}


def _finding(subject: str, rule: str, message: str) -> Finding:
    return Finding(subject, rule, message, scope="dags")


def _module_level_calls(tree: ast.Module) -> Iterable[ast.Call]:
    """Calls executed when the module is imported: not inside a def or a class body's methods."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Call):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def source_findings(path: str, text: str) -> list[Finding]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []  # reported as an import error by the probe
    out = []
    for call in _module_level_calls(tree):
        name = ast.unparse(call.func)
        for suffix, why in TOP_LEVEL_CALLS.items():
            if name == suffix or name.endswith("." + suffix):
                out.append(_finding(f"{path}:{call.lineno}", "top-level-call", f"{name}() {why}"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and ast.unparse(node.func).split(".")[-1] in DAG_CONSTRUCTORS
            and not any(k.arg == "schedule" for k in node.keywords)
        ):
            out.append(
                _finding(
                    f"{path}:{node.lineno}",
                    "missing-schedule",
                    "a DAG without an explicit schedule= (use None for manual-only DAGs)",
                )
            )
    return out


def probe_findings(
    probe: Mapping[str, Any], budget: float, pools: set[str], connections: set[str]
) -> list[Finding]:
    out = []
    for file, error in sorted(probe["import_errors"].items()):
        last = next(
            (line.strip() for line in reversed(str(error).splitlines()) if line.strip()), "import failed"
        )
        rule = "cycle" if "cycle" in str(error).lower() else "import-error"
        out.append(_finding(file, rule, last))
    for file, seconds in sorted(probe["parse_seconds"].items()):
        if seconds > budget:
            out.append(
                _finding(file, "parse-time", f"parsing took {seconds:.2f} CPU seconds, budget {budget:.2f}s")
            )
    for dag in sorted(probe["dags"], key=lambda d: d["dag_id"]):
        subject = f"{dag['file']}::{dag['dag_id']}"
        if not dag["owner"] or dag["owner"] == "airflow":
            out.append(_finding(subject, "missing-owner", "default_args has no owning team"))
        if not isinstance(dag["retries"], int):
            out.append(_finding(subject, "missing-retries", "default_args sets no retries"))
        if not dag["tags"]:
            out.append(_finding(subject, "missing-tags", "the DAG has no tags"))
        if dag["catchup"]:
            out.append(_finding(subject, "catchup-on", "catchup=True backfills every missed run"))
        for task in dag["tasks"]:
            if task["pool"] not in pools | {"default_pool"}:
                out.append(
                    _finding(
                        f"{subject}.{task['task_id']}",
                        "undeclared-pool",
                        f"pool {task['pool']!r} is not declared in parity.toml [gates.dags] pools",
                    )
                )
            for conn in task["connections"]:
                if conn not in connections:
                    out.append(
                        _finding(
                            f"{subject}.{task['task_id']}",
                            "undeclared-connection",
                            f"connection {conn!r} is not declared in parity.toml [gates.dags] connections",
                        )
                    )
    return out


def probe(root: Path, values: dict[str, str], logs: LogKeeper) -> dict[str, Any]:
    """Every DAG file loaded as the dag-processor would, in the airflow venv, with `values`."""
    with tempfile.TemporaryDirectory(prefix="parity-airflow-") as home:
        env = workload_env(
            values,
            AIRFLOW_HOME=home,
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__UNIT_TEST_MODE="True",
            PYTHONPATH=f"{root}/pipelines/common:{root / DAGS}",
        )
        done = subprocess.run(
            [venv_bin(root, "airflow", "python"), PROBES / "dag_probe.py", root / DAGS],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )
    if done.returncode != 0:
        kept = logs.keep_output("dag-probe", done)
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ParityError("gate dags", f"the DAG probe failed in the airflow venv: {tail}", f"See {kept}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def ruff_binary() -> Path:
    """ruff of parity's own environment (a declared dependency)."""
    return Path(sys.executable).parent / "ruff"


def ruff_air(root: Path, logs: LogKeeper) -> list[Finding]:
    """ruff's Airflow rules. ruff exits 0 (clean) or 1 (findings); anything else is a crashed
    ruff, which must fail the gate rather than read as "no findings"."""
    done = subprocess.run(
        [ruff_binary(), "check", "--select", "AIR", "--output-format", "json", "--no-cache", DAGS],
        cwd=root,
        capture_output=True,
        text=True,
    )
    try:
        items = json.loads(done.stdout) if done.returncode in (0, 1) else None
    except json.JSONDecodeError:
        items = None
    if not isinstance(items, list) or (done.returncode == 1 and not items):
        kept = logs.keep_output("ruff", done)
        raise ParityError("gate dags", f"ruff exited {done.returncode} without a report", f"See {kept}")
    return [
        _finding(
            f"{Path(item['filename']).relative_to(root)}:{item['location']['row']}",
            f"ruff-{item['code']}",
            item["message"],
        )
        for item in items
    ]


def gate(
    root: Path, rules: DagGate, values: dict[str, str], logs: LogKeeper
) -> tuple[list[Finding], dict[str, Any]]:
    found = probe(root, values, logs)
    findings = probe_findings(found, rules.budget_seconds, set(rules.pools), set(rules.connections))
    for path in sorted((root / DAGS).glob("*.py")):
        findings += source_findings(path.relative_to(root).as_posix(), path.read_text())
    findings += ruff_air(root, logs)
    slowest = max(found["parse_seconds"].items(), key=lambda item: item[1], default=("", 0.0))
    return findings, {
        "dags": len(found["dags"]),
        "files": len(found["parse_seconds"]),
        "import_errors": len(found["import_errors"]),
        "parse_seconds_total": found["total_seconds"],
        "slowest_file": {"file": slowest[0], "seconds": slowest[1]},
        "budget_seconds": rules.budget_seconds,
    }
