"""Turn the CRDs of pinned operator modules into strict kubeconform schemas, offline.

Usage (run by devenv/bootstrap with the tool venv's Python):
    python devenv/crd_schemas.py OUT_DIR MODULE_DIR:CRD_SUBDIR [...]

Output, for kubeconform's `{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json` location:
OUT_DIR/<group>/<kind lowercase>_<version>.json. Strict as kubeconform's own openapi2jsonschema
does it: objects with declared properties reject unknown fields, unless the CRD says
x-kubernetes-preserve-unknown-fields.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml


def strict(node: Any) -> Any:
    if isinstance(node, dict):
        node = {key: strict(value) for key, value in node.items()}
        if (
            "properties" in node
            and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
        ):
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [strict(item) for item in node]
    return node


def convert(crd: dict[str, Any], out: Path) -> int:
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"].lower()
    written = 0
    for version in crd["spec"]["versions"]:
        schema = strict(version["schema"]["openAPIV3Schema"])
        # kubeconform validates the whole document, including the parts every object has.
        schema.setdefault("properties", {}).update(
            {
                "apiVersion": {"type": "string", "enum": [f"{group}/{version['name']}"]},
                "kind": {"type": "string", "enum": [crd["spec"]["names"]["kind"]]},
                "metadata": {"type": "object"},
            }
        )
        target = out / group / f"{kind}_{version['name']}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(schema, sort_keys=True, separators=(",", ":")))
        written += 1
    return written


def main(out: Path, sources: list[str]) -> int:
    count = 0
    for source in sources:
        module_dir, subdir = source.rsplit(":", 1)
        for path in sorted((Path(module_dir) / subdir).glob("*.yaml")):
            for document in yaml.safe_load_all(path.read_text()):
                if isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition":
                    count += convert(document, out)
    print(f"INFO - wrote {count} CRD version schemas to {out}")
    return 0 if count else 2


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), sys.argv[2:]))
