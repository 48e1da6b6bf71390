"""Run with the streaming venv (its own `avro`): reader/writer compatibility of schema pairs.

stdin: [{"reader": <schema>, "writer": <schema>}, ...]
stdout: [{"compatible": bool, "messages": [...]}, ...]
"""

from __future__ import annotations

import json
import sys

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType


def check(reader: object, writer: object) -> dict:
    try:
        result = ReaderWriterCompatibilityChecker().get_compatibility(
            avro.schema.parse(json.dumps(reader)), avro.schema.parse(json.dumps(writer))
        )
    except Exception as exc:  # an unparsable schema is an incompatible one, with the reason
        return {"compatible": False, "messages": [f"{type(exc).__name__}: {exc}"]}
    return {
        "compatible": result.compatibility is SchemaCompatibilityType.compatible,
        "messages": sorted(str(m) for m in result.messages),
    }


if __name__ == "__main__":
    print(json.dumps([check(pair["reader"], pair["writer"]) for pair in json.load(sys.stdin)]))
