"""Breaking changes of contracted dbt models between a baseline manifest and the current one. Pure.

Breaking: a contracted model's column removed (a rename is a removal plus an addition), its data
type changed, a constraint dropped, or a model removed while other models still reference it.
A new model version that leaves the old version in place is not breaking; it is reported as a
deprecation notice so consumers know to move.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from parity.gate_dags import GateFinding


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


def compare(baseline: Mapping[str, Any], current: Mapping[str, Any]) -> tuple[list[GateFinding], list[str]]:
    old, new = _models(baseline), _models(current)
    findings: list[GateFinding] = []
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
                    GateFinding(
                        "schema",
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
                    GateFinding(
                        "schema",
                        subject,
                        "column-removed",
                        "a contracted column was removed or renamed; add a model version instead",
                    )
                )
                continue
            if _normal(column.get("data_type")) != _normal(now.get("data_type")):
                findings.append(
                    GateFinding(
                        "schema",
                        subject,
                        "type-changed",
                        f"data_type {column.get('data_type')} -> {now.get('data_type')}",
                    )
                )
            dropped = _constraints(column) - _constraints(now)
            if dropped:
                findings.append(
                    GateFinding(
                        "schema",
                        subject,
                        "constraint-dropped",
                        f"constraint(s) {', '.join(sorted(dropped))} dropped",
                    )
                )
    return findings, notices
