"""The DAG health gate's rules. Pure: they read probe output (see probes/dag_probe.py) and sources.

Per file: import errors (with the exception's last line), parse time over budget, and top-level
Variable/connection/network use; per DAG: owner, retries, tags, an explicit schedule, catchup off,
pools and connections the environment does not declare. Cycles surface as import errors.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class GateFinding:
    gate: str
    subject: str  # file, file::dag_id, or model/subject name
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.rule}: {self.message}"


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


def source_findings(path: str, text: str) -> list[GateFinding]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []  # reported as an import error by the probe
    out = []
    for call in _module_level_calls(tree):
        name = ast.unparse(call.func)
        for suffix, why in TOP_LEVEL_CALLS.items():
            if name == suffix or name.endswith("." + suffix):
                out.append(GateFinding("dags", f"{path}:{call.lineno}", "top-level-call", f"{name}() {why}"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and ast.unparse(node.func).split(".")[-1] in DAG_CONSTRUCTORS
            and not any(k.arg == "schedule" for k in node.keywords)
        ):
            out.append(
                GateFinding(
                    "dags",
                    f"{path}:{node.lineno}",
                    "missing-schedule",
                    "a DAG without an explicit schedule= (use None for manual-only DAGs)",
                )
            )
    return out


def probe_findings(
    probe: Mapping[str, Any], budget: float, pools: set[str], connections: set[str]
) -> list[GateFinding]:
    out = []
    for file, error in sorted(probe["import_errors"].items()):
        last = next(
            (line.strip() for line in reversed(str(error).splitlines()) if line.strip()), "import failed"
        )
        rule = "cycle" if "cycle" in str(error).lower() else "import-error"
        out.append(GateFinding("dags", file, rule, last))
    for file, seconds in sorted(probe["parse_seconds"].items()):
        if seconds > budget:
            out.append(
                GateFinding("dags", file, "parse-time", f"parsed in {seconds:.2f}s, budget {budget:.2f}s")
            )
    for dag in sorted(probe["dags"], key=lambda d: d["dag_id"]):
        subject = f"{dag['file']}::{dag['dag_id']}"
        if not dag["owner"] or dag["owner"] == "airflow":
            out.append(GateFinding("dags", subject, "missing-owner", "default_args has no owning team"))
        if not isinstance(dag["retries"], int):
            out.append(GateFinding("dags", subject, "missing-retries", "default_args sets no retries"))
        if not dag["tags"]:
            out.append(GateFinding("dags", subject, "missing-tags", "the DAG has no tags"))
        if dag["catchup"]:
            out.append(GateFinding("dags", subject, "catchup-on", "catchup=True backfills every missed run"))
        for task in dag["tasks"]:
            if task["pool"] not in pools | {"default_pool"}:
                out.append(
                    GateFinding(
                        "dags",
                        f"{subject}.{task['task_id']}",
                        "undeclared-pool",
                        f"pool {task['pool']!r} is not declared in parity.toml [gates.dags] pools",
                    )
                )
            for conn in task["connections"]:
                if conn not in connections:
                    out.append(
                        GateFinding(
                            "dags",
                            f"{subject}.{task['task_id']}",
                            "undeclared-connection",
                            f"connection {conn!r} is not declared in parity.toml [gates.dags] connections",
                        )
                    )
    return out
