"""Decode and validate events against the latest version of their subject (pipelines/schemas)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import avro.io
import avro.schema
import jsonschema
import yaml

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


class InvalidEvent(ValueError):
    """The message does not decode or does not satisfy its schema: it goes to the dead letters."""


@dataclass(frozen=True)
class Subject:
    name: str
    format: str
    topic_setting: str
    latest: Path

    def decode(self, payload: bytes) -> dict[str, Any]:
        if self.format == "json":
            try:
                event = json.loads(payload)
                jsonschema.validate(
                    event, json.loads(self.latest.read_text()), format_checker=jsonschema.FormatChecker()
                )
            except (ValueError, jsonschema.ValidationError) as exc:
                raise InvalidEvent(str(exc).splitlines()[0]) from None
            return dict(event)
        schema = avro.schema.parse(self.latest.read_text())
        try:
            record = avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(io.BytesIO(payload)))
        except Exception as exc:  # avro raises many types on truncated or foreign bytes
            raise InvalidEvent(f"not a {schema.name} record: {exc}") from None
        return dict(record)

    def encode(self, record: dict[str, Any]) -> bytes:
        if self.format == "json":
            return json.dumps(record, sort_keys=True).encode()
        schema = avro.schema.parse(self.latest.read_text())
        out = io.BytesIO()
        avro.io.DatumWriter(schema).write(record, avro.io.BinaryEncoder(out))
        return out.getvalue()


def subjects(root: Path = SCHEMAS) -> dict[str, Subject]:
    spec = yaml.safe_load((root / "subjects.yaml").read_text())["subjects"]
    return {
        name: Subject(name, s["format"], s["topic_setting"], root / s["versions"][-1])
        for name, s in spec.items()
    }
