"""Conformance against ../shared/vectors: Confluent's SchemaDiff cases (JSON Schema), karapace's
JSON Schema assertions, and the Avro reader/writer cases (checked by the `avro` package)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from parity.compat.jsonschema import backward_compatible, changes
from tests.conftest import DEVENV, ROOT


def _origin_checkout() -> Path | None:
    """The checkout this one was cloned from, when it is on this machine (CI clones main)."""
    done = subprocess.run(
        ["git", "config", "--get", "remote.origin.url"], cwd=ROOT, capture_output=True, text=True
    )
    url = done.stdout.strip().removeprefix("file://")
    return (ROOT / url).resolve() if done.returncode == 0 and url and "://" not in url else None


def _vectors() -> Path:
    """../shared/vectors beside this checkout or the checkout it was cloned from (never an
    absolute path of this machine), or $PARITY_VECTORS. Absent vectors fail the suite: a
    conformance test that skips proves nothing."""
    candidates = [Path(p) for p in [os.environ.get("PARITY_VECTORS", "")] if p]
    origin = _origin_checkout()
    for checkout in (ROOT, *([origin] if origin else [])):
        candidates += [parent / "shared" / "vectors" for parent in checkout.parents]
    found = next((c for c in candidates if (c / "confluent").is_dir()), None)
    if found is None:
        tried = ", ".join(str(c) for c in candidates[:4])
        raise pytest.UsageError(
            f"conformance vectors not found (tried {tried}, ...): put ../shared/vectors beside the "
            "checkout or set PARITY_VECTORS"
        )
    return found


VECTORS = _vectors()
CONFLUENT = [
    "diff-schema-examples.json",
    "diff-schema-examples-2020-12.json",
    "diff-combined-schema-examples.json",
    "diff-combined-schema-examples-2020-12.json",
]


def load(path: Path) -> Any:
    # The 2020-12 files are not strict JSON (trailing commas, read upstream with org.json).
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", path.read_text()))


def confluent_cases() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{name}#{i}", case)
        for name in CONFLUENT
        for i, case in enumerate(load(VECTORS / "confluent" / name))
    ]


@pytest.mark.parametrize(("case_id", "case"), confluent_cases(), ids=[c[0] for c in confluent_cases()])
def test_confluent_verdicts(case_id: str, case: dict[str, Any]) -> None:
    assert backward_compatible(case["original_schema"], case["update_schema"]) is case["compatible"], (
        case["description"],
        case["changes"],
        changes(case["original_schema"], case["update_schema"]),
    )
    if "compatible_lenient" in case:
        assert (
            backward_compatible(case["original_schema"], case["update_schema"], lenient=True)
            is case["compatible_lenient"]
        )


def karapace_disagreement_reason(old: Any, new: Any) -> str | None:
    """Where karapace and Confluent differ by design; we follow Confluent (the registry we target)."""
    found = set(changes(old, new))
    if new is True or new == {}:
        return "Confluent: anything can change to the empty schema (its own vector); karapace: incompatible"
    if old is False:
        return "Confluent: nothing was ever valid against `false`, so any new schema reads it"
    if old is True and new is False:
        return "karapace records true->false as compatible; it rejects every event, Confluent: TYPE_CHANGED"
    if found == {"PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"}:
        return "the README's caveat: Confluent STRICT accepts an empty-schema property added to an open model"
    if found == {
        "ADDITIONAL_PROPERTIES_ADDED",
        "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    }:
        return "Confluent: a property removed but covered by a pattern property is compatible"
    return None


def test_karapace_agreement_and_every_disagreement_explained(capsys: pytest.CaptureFixture[str]) -> None:
    cases = json.loads((VECTORS / "karapace-jsonschema-compatibility.json").read_text())
    total = agree = 0
    unexplained = []
    for case in cases:
        for old, new, want in (
            (case["old"], case["new"], case["backward_compatible"]),
            (case["new"], case["old"], case["forward_compatible"]),
        ):
            if want is None:
                continue
            total += 1
            if backward_compatible(old, new) is want:
                agree += 1
            elif karapace_disagreement_reason(old, new) is None:
                unexplained.append((old, new, want))
    with capsys.disabled():
        print(
            f"\nkarapace JSON Schema: {agree}/{total} agree ({100 * agree / total:.1f}%); "
            f"{total - agree - len(unexplained)} explained disagreements"
        )
    assert unexplained == []
    assert agree >= 400


def test_avro_vectors_with_the_images_avro(capsys: pytest.CaptureFixture[str]) -> None:
    cases = json.loads((VECTORS / "avro-reader-writer-compatibility.json").read_text())
    done = subprocess.run(
        [DEVENV / "venvs/streaming/bin/python", ROOT / "src/parity/gates/probes/avro_probe.py"],
        input=json.dumps([{"reader": c["reader"], "writer": c["writer"]} for c in cases]),
        capture_output=True,
        text=True,
        check=True,
    )
    results = json.loads(done.stdout)
    misses = [(c, r) for c, r in zip(cases, results, strict=True) if r["compatible"] is not c["compatible"]]
    with capsys.disabled():
        print(f"\navro reader/writer: {len(cases) - len(misses)}/{len(cases)} agree")
    # The one karapace case whose enum default is not one of its symbols: the avro package refuses
    # to parse such a schema at all (InvalidDefault), so the registry would not accept it either.
    assert [(c["source"].split(":")[0], r["messages"][0].split(":")[0]) for c, r in misses] == [
        ("Aiven-Open/karapace", "InvalidDefault")
    ]
