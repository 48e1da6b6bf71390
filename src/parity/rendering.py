"""Edge: render environments (kustomize, normalise, kubeconform) and read their values files."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from parity import kubeconform, kustomize
from parity.errors import BadInput
from parity.manifest import Identity, Resource, normalise

VALUES_FILE = "values.yaml"


@dataclass(frozen=True)
class Rendered:
    env: str
    text: str
    resources: dict[Identity, Resource]
    invalid: list[kubeconform.Invalid]


def _build(root: Path, env: str) -> tuple[str, dict[Identity, Resource]]:
    text, documents = kustomize.build(root, env)
    return text, normalise(documents, f"overlays/{env}")


def render_all(root: Path, envs: list[str], validate: bool = True) -> dict[str, Rendered]:
    # kustomize runs once per environment, side by side; kubeconform once for all of them.
    with ThreadPoolExecutor(max_workers=max(1, min(4, len(envs)))) as pool:
        built = dict(zip(envs, pool.map(lambda env: _build(root, env), envs), strict=True))
    problems = kubeconform.validate(root, {env: text for env, (text, _) in built.items()}) if validate else {}
    return {
        env: Rendered(env, text, resources, problems.get(env, [])) for env, (text, resources) in built.items()
    }


def render(root: Path, env: str, validate: bool = True) -> Rendered:
    return render_all(root, [env], validate)[env]


def read_values(root: Path, env: str) -> dict[str, Any]:
    path = root / "overlays" / env / VALUES_FILE
    source = f"overlays/{env}/{VALUES_FILE}"
    try:
        document = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise BadInput(source, "missing", "Every overlay needs its values file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise BadInput(
            f"{source}:{mark.line + 1}" if mark else source, "YAML syntax error", "Fix the YAML"
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("spec"), dict):
        raise BadInput(
            source, "is not a PlatformValues document with a spec", "Keep the kind/metadata/spec layout"
        )
    return dict(document["spec"])
