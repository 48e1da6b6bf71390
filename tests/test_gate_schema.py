"""`parity gate schema`: each subject's history under its mode; broken on purpose in copies."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import yaml

from parity import cli
from parity.gates import schema as gate_schema

pytestmark = pytest.mark.integration


def gate(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, set[tuple[str, str]]]:
    evidence = Path(tempfile.mkdtemp(prefix="parity-evidence-")) / "schema.json"  # never in the work tree
    code = cli.main(["gate", "schema", "--repo", str(repo), "--evidence", str(evidence)])
    capsys.readouterr()
    return code, {(f["subject"], f["rule"]) for f in json.loads(evidence.read_text())["findings"]}


def add_version(repo: Path, subject: str, path: str, schema: dict, mode: str | None = None) -> None:
    (repo / "pipelines/schemas" / path).write_text(json.dumps(schema))
    subjects_file = repo / "pipelines/schemas/subjects.yaml"
    spec = yaml.safe_load(subjects_file.read_text())
    spec["subjects"][subject]["versions"].append(path)
    if mode:
        spec["subjects"][subject]["compatibility"] = mode
    subjects_file.write_text(yaml.safe_dump(spec))


def test_pairs_per_mode() -> None:
    assert gate_schema.pairs(["a", "b", "c"], "BACKWARD") == [("a", "b"), ("b", "c")]
    assert gate_schema.pairs(["a", "b", "c"], "FULL_TRANSITIVE") == [("a", "b"), ("a", "c"), ("b", "c")]
    assert gate_schema.pairs(["a", "b"], "NONE") == []


def test_avro_field_without_default_under_backward(
    repo_git: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = json.loads((repo_git / "pipelines/schemas/ledger/v2.avsc").read_text())
    schema["fields"].append({"name": "cost_center", "type": "string"})
    add_version(repo_git, "ledger-value", "ledger/v3.avsc", schema, "BACKWARD")
    code, found = gate(repo_git, capsys)
    assert code == 1 and ("ledger-value:ledger/v3.avsc", "backward") in found


def test_json_property_added_to_open_content_model(
    repo_git: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    v2 = json.loads((repo_git / "pipelines/schemas/events/v2.json").read_text())
    open_model = {k: v for k, v in v2.items() if k != "additionalProperties"}
    add_version(repo_git, "events-value", "events/v3.json", open_model)
    with_new_property = json.loads(json.dumps(open_model))
    with_new_property["properties"]["channel"] = {"type": "string"}
    add_version(repo_git, "events-value", "events/v4.json", with_new_property)
    code, found = gate(repo_git, capsys)
    assert code == 1
    assert ("events-value:events/v4.json", "backward") in found
    assert ("events-value:events/v3.json", "backward") not in found  # opening the model is compatible
