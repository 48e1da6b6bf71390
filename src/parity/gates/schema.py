"""The schema gate: dbt contracts against a baseline ref (parity.gates.contracts), then each event
subject's history under its compatibility mode, as Confluent Schema Registry checks it.

`check_subject` is pure: the caller supplies `compatible(reader, writer)` for the subject's format
(JSON Schema by parity.compat.jsonschema, Avro by the streaming image's `avro` package).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity import loaders
from parity.compat import jsonschema as jsonschema_compat
from parity.devenv import venv_bin
from parity.errors import ParityError
from parity.findings import Finding
from parity.gates import contracts
from parity.gates.workloads import PROBES, LogKeeper

SUBJECTS = Path("pipelines/schemas/subjects.yaml")
FORMATS = ("avro", "json")

MODES = {
    "NONE",
    "BACKWARD",
    "FORWARD",
    "FULL",
    "BACKWARD_TRANSITIVE",
    "FORWARD_TRANSITIVE",
    "FULL_TRANSITIVE",
}
Checker = Callable[[Any, Any], bool]  # (reader, writer) -> can the reader read what the writer wrote


def pairs(versions: Sequence[str], mode: str) -> list[tuple[str, str]]:
    """(earlier, later) version pairs the mode compares: the previous one, or all of them."""
    if mode == "NONE":
        return []
    transitive = mode.endswith("_TRANSITIVE")
    return [
        (versions[j], versions[i])
        for i in range(1, len(versions))
        for j in (range(i) if transitive else [i - 1])
    ]


def check_subject(
    subject: str, mode: str, versions: Sequence[str], schemas: dict[str, Any], compatible: Checker
) -> list[Finding]:
    base = mode.removesuffix("_TRANSITIVE")
    out = []
    for old, new in pairs(versions, mode):
        if base in {"BACKWARD", "FULL"} and not compatible(schemas[new], schemas[old]):
            out.append(
                Finding(
                    f"{subject}:{new}",
                    "backward",
                    f"consumers on {new} cannot read events written with {old} ({mode})",
                    scope="schema",
                )
            )
        if base in {"FORWARD", "FULL"} and not compatible(schemas[old], schemas[new]):
            out.append(
                Finding(
                    f"{subject}:{new}",
                    "forward",
                    f"consumers on {old} cannot read events written with {new} ({mode})",
                    scope="schema",
                )
            )
    return out


@dataclass(frozen=True)
class Subject:
    name: str
    format: str
    mode: str
    versions: tuple[str, ...]
    schemas: dict[str, Any]


def load_subjects(root: Path) -> list[Subject]:
    """pipelines/schemas/subjects.yaml and every schema version it lists, checked before any gate
    work starts: a malformed entry or schema file is bad input (exit 2)."""
    text = loaders.read_text(root / SUBJECTS, str(SUBJECTS))
    spec = loaders.Fields(loaders.parse_yaml(text, str(SUBJECTS)), str(SUBJECTS), text)
    out = []
    for name, entry in sorted(spec.tables("subjects").items()):
        mode = entry.string("compatibility", "BACKWARD")
        if mode not in MODES:
            raise entry.error(
                f"subjects.{name}.compatibility", f"is {mode!r}, not one of {', '.join(sorted(MODES))}"
            )
        fmt = entry.string("format")
        if fmt not in FORMATS:
            raise entry.error(f"subjects.{name}.format", f"is {fmt!r}, not one of {', '.join(FORMATS)}")
        versions = tuple(entry.strings("versions"))
        if not versions:
            raise entry.error(f"subjects.{name}.versions", "lists no schema file")
        schemas = {v: loaders.load_json(root, SUBJECTS.parent / v) for v in versions}
        out.append(Subject(name, fmt, mode, versions, schemas))
    return out


def _key(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True)


def avro_verdicts(root: Path, subject: Subject, logs: LogKeeper) -> Checker:
    """Every (reader, writer) verdict the mode may ask for, from one run of the Avro probe in the
    streaming venv."""
    wanted = [
        (subject.schemas[a], subject.schemas[b])
        for old, new in pairs(subject.versions, subject.mode)
        for a, b in ((new, old), (old, new))
    ]
    verdicts: dict[tuple[str, str], bool] = {}
    if wanted:
        done = subprocess.run(
            [venv_bin(root, "streaming", "python"), PROBES / "avro_probe.py"],
            capture_output=True,
            text=True,
            timeout=300,
            input=json.dumps([{"reader": r, "writer": w} for r, w in wanted]),
        )
        if done.returncode != 0:
            kept = logs.keep_output(f"avro-probe-{subject.name}", done)
            raise ParityError(
                "gate schema", f"the Avro probe failed in the streaming venv ({subject.name})", f"See {kept}"
            )
        results = [bool(r["compatible"]) for r in json.loads(done.stdout)]
        verdicts = {(_key(r), _key(w)): ok for (r, w), ok in zip(wanted, results, strict=True)}
    return lambda reader, writer: verdicts[(_key(reader), _key(writer))]


def gate(
    root: Path, values: dict[str, str], against: str, logs: LogKeeper
) -> tuple[list[Finding], dict[str, Any]]:
    subjects = load_subjects(root)  # bad input fails before dbt runs
    current = contracts.manifest(root, None, values, logs)
    findings, notices = contracts.compare(contracts.manifest(root, against, values, logs), current)
    models = [n for n in current.get("nodes", {}).values() if n.get("resource_type") == "model"]
    checked = 0
    for subject in subjects:
        compatible: Checker = (
            avro_verdicts(root, subject, logs)
            if subject.format == "avro"
            else lambda reader, writer: jsonschema_compat.backward_compatible(writer, reader)
        )
        findings += check_subject(subject.name, subject.mode, subject.versions, subject.schemas, compatible)
        checked += len(pairs(subject.versions, subject.mode))
    return findings, {
        "dbt_baseline": against,
        "dbt_models": len(models),
        "contracted_models": sorted(
            m["unique_id"] for m in models if m.get("config", {}).get("contract", {}).get("enforced")
        ),
        "deprecation_notices": notices,
        "subjects": len(subjects),
        "version_pairs": checked,
        "spark_outputs_vs_dbt_sources": "checked by gate quality, which runs the jobs",
    }
