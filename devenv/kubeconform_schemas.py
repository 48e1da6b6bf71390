"""Write kubeconform's offline Kubernetes schemas from the pinned kubernetes-validate package.

Usage (run by devenv/bootstrap with the tool venv's Python):
    python devenv/kubeconform_schemas.py 1.34.0 OUT_DIR

kubernetes-validate ships strict JSON schemas per Kubernetes version whose `$ref`s point at
`/api/_definitions.json`, a path only its own loader understands.
Output, in kubeconform's default layout: OUT_DIR/v<version>-standalone-strict/<kind>-<group>-<version>.json
"""

from __future__ import annotations

import json
import re
import sys
from importlib import resources
from pathlib import Path

# Schemas point into /api/_definitions.json; definitions point at each other with "#/$defs/...".
REF = re.compile(r'"(?:/api/_definitions\.json)?#/\$defs/([^"]+)"')


def _closure(document: str, definitions: dict[str, str]) -> dict[str, str]:
    """The definitions a schema reaches, each rewritten to a local `#/$defs/` reference."""
    found: dict[str, str] = {}
    pending = REF.findall(document)
    while pending:
        name = pending.pop()
        if name not in found:
            found[name] = definitions[name]
            pending.extend(REF.findall(definitions[name]))
    return found


def _localise(text: str) -> str:
    return REF.sub(lambda m: f'"#/$defs/{m.group(1)}"', text)


def main(version: str, out: Path) -> int:
    source = resources.files("kubernetes_validate") / "kubernetes-json-schema" / f"v{version}-local-strict"
    if not source.is_dir():
        print(f"ERROR - kubernetes-validate has no schemas for v{version}", file=sys.stderr)
        return 2
    # Cross-file $refs are not followed by kubeconform's local loader, so every schema is made
    # standalone: the definitions it reaches are embedded under its own $defs.
    raw_defs = json.loads((source / "_definitions.json").read_text())["$defs"]
    definitions = {name: json.dumps(body, sort_keys=True) for name, body in raw_defs.items()}
    target = out / f"v{version}-standalone-strict"
    target.mkdir(parents=True)
    count = 0
    for entry in sorted(source.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json") or entry.name in {"_definitions.json", "all.json"}:
            continue
        text = entry.read_text()
        schema = json.loads(_localise(text))
        # Its `$id` is a path under /api/ that would make the embedded refs resolve elsewhere.
        schema.pop("$id", None)
        reached = _closure(text, definitions)
        if reached:
            schema["$defs"] = {name: json.loads(_localise(body)) for name, body in sorted(reached.items())}
        (target / entry.name).write_text(json.dumps(schema, sort_keys=True, separators=(",", ":")))
        count += 1
    print(f"INFO - wrote {count} standalone schemas to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], Path(sys.argv[2])))
