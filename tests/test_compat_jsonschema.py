"""Unit tests of parity.compat.jsonschema (the port of Confluent's SchemaDiff), one rule at a time:
`backward_compatible(old, new)` asks whether consumers on `new` can read what `old` wrote, and
`changes` names each difference as Confluent does. The vectors in ../shared/vectors test the
whole; these pin each rule so a regression names the rule it broke."""

from __future__ import annotations

from typing import Any

import pytest

from parity.compat.jsonschema import backward_compatible, changes, incompatibilities

CLOSED: dict[str, Any] = {
    "type": "object",
    "properties": {"a": {"type": "string"}},
    "additionalProperties": False,
}
OPEN: dict[str, Any] = {"type": "object", "properties": {"a": {"type": "string"}}}

CASES: list[tuple[str, Any, Any, bool, str]] = [
    ("a union loses a type", {"type": ["string", "null"]}, {"type": "string"}, False, "SUM_TYPE_NARROWED"),
    ("a union gains a type", {"type": "string"}, {"type": ["string", "null"]}, True, "SUM_TYPE_EXTENDED"),
    ("integer widened to number", {"type": "integer"}, {"type": "number"}, True, "TYPE_EXTENDED"),
    ("number narrowed to integer", {"type": "number"}, {"type": "integer"}, False, "TYPE_NARROWED"),
    (
        "maxLength lowered",
        {"type": "string", "maxLength": 10},
        {"type": "string", "maxLength": 5},
        False,
        "MAX_LENGTH_DECREASED",
    ),
    (
        "maxLength raised",
        {"type": "string", "maxLength": 5},
        {"type": "string", "maxLength": 10},
        True,
        "MAX_LENGTH_INCREASED",
    ),
    (
        "minimum raised",
        {"type": "number", "minimum": 0},
        {"type": "number", "minimum": 1},
        False,
        "MINIMUM_INCREASED",
    ),
    ("enum loses a value", {"enum": ["a", "b"]}, {"enum": ["a"]}, False, "ENUM_ARRAY_NARROWED"),
    ("enum gains a value", {"enum": ["a"]}, {"enum": ["a", "b"]}, True, "ENUM_ARRAY_EXTENDED"),
    ("a property becomes required", CLOSED, {**CLOSED, "required": ["a"]}, False, "REQUIRED_ATTRIBUTE_ADDED"),
    (
        "optional property added to a closed model",
        CLOSED,
        {**CLOSED, "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}},
        True,
        "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    ),
    (
        "property removed from a closed model",
        CLOSED,
        {**CLOSED, "properties": {}},
        False,
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    ),
    (
        "array items narrowed",
        {"type": "array", "items": {"type": ["string", "integer"]}},
        {"type": "array", "items": {"type": "string"}},
        False,
        "SUM_TYPE_NARROWED",
    ),
    (
        "oneOf gains a branch",
        {"oneOf": [{"type": "string"}]},
        {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        True,
        "SUM_TYPE_EXTENDED",
    ),
    (
        "a $ref target changes type",
        {"definitions": {"x": {"type": "string"}}, "$ref": "#/definitions/x"},
        {"definitions": {"x": {"type": "integer"}}, "$ref": "#/definitions/x"},
        False,
        "TYPE_CHANGED",
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "compatible", "change"), CASES, ids=[c[0] for c in CASES])
def test_each_rule(name: str, old: Any, new: Any, compatible: bool, change: str) -> None:
    assert change in changes(old, new)
    assert backward_compatible(old, new) is compatible
    assert bool(list(incompatibilities(old, new))) is not compatible


def test_an_identical_schema_has_no_changes() -> None:
    assert changes(OPEN, OPEN) == [] and backward_compatible(OPEN, OPEN)


def test_a_description_change_is_compatible() -> None:
    assert backward_compatible({"type": "string"}, {"type": "string", "description": "the id"})
